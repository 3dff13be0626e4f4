package sim

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

var (
	flagSeed     = flag.Uint64("sim.seed", 0, "seed of the simulation (default 1, or $TRACKERKIT_SIM_SEED)")
	flagLong     = flag.Bool("sim.long", false, "run the long simulation: 1,000 Sessions for 48 simulated hours (or $TRACKERKIT_SIM_LONG=1)")
	flagSessions = flag.Int("sim.sessions", 0, "number of torrents (overrides the run's default)")
	flagHours    = flag.Int("sim.hours", 0, "simulated hours (overrides the run's default)")
)

// Sizes of the two runs.
var (
	shortRun = params{sessions: 60, duration: 12 * time.Hour}
	longRun  = params{sessions: 1000, duration: 48 * time.Hour}
)

// runParams returns the run's sizes and seed from the flags and environment.
func runParams(t *testing.T) params {
	p := shortRun
	if *flagLong || os.Getenv("TRACKERKIT_SIM_LONG") == "1" {
		p = longRun
	}
	if *flagSessions > 0 {
		p.sessions = *flagSessions
	}
	if *flagHours > 0 {
		p.duration = time.Duration(*flagHours) * time.Hour
	}
	p.seed = 1
	if env := os.Getenv("TRACKERKIT_SIM_SEED"); env != "" {
		s, err := strconv.ParseUint(env, 10, 64)
		if err != nil {
			t.Fatalf("TRACKERKIT_SIM_SEED=%q: %v", env, err)
		}
		p.seed = s
	}
	if *flagSeed != 0 {
		p.seed = *flagSeed
	}
	return p
}

func TestSimulation(t *testing.T) {
	p := runParams(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulation seed %d (%d sessions, %v): replay with go test ./internal/sim -run TestSimulation -sim.seed=%d -sim.sessions=%d -sim.hours=%d",
				p.seed, p.sessions, p.duration, p.seed, p.sessions, int(p.duration/time.Hour))
		}
	})
	var w *world
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		w = newWorld(t, p)
		w.run(t)
	})
	if t.Failed() {
		return
	}
	r := check(w)
	r.wall = time.Since(wall)
	r.report(t)
	for _, inv := range invariants {
		t.Run(inv.name, func(t *testing.T) {
			v := r.violations[inv.name]
			if len(v) == 0 {
				return
			}
			if inv.known != "" {
				t.Skipf("%d violations, expected until %s is on main; first: %s\n%s", len(v), inv.known, v[0], r.firstDump[inv.name])
			}
			t.Logf("the first violation's story:\n%s", r.firstDump[inv.name])
			for i, msg := range v {
				if i == 20 {
					t.Errorf("... and %d more", len(v)-i)
					break
				}
				t.Error(msg)
			}
		})
	}
}
