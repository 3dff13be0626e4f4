package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func main() {
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveMockChild())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchharness:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	torrents, inflight, rounds, seeds int
	pacing                            []int
	tracker                           string
	install, udp, http                bool
	timeout                           time.Duration
	cpuProfile                        string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("benchharness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.torrents, "torrents", 10_000, "distinct torrents announced in each phase")
	fs.IntVar(&c.inflight, "inflight", 64, "announces in flight, for every client (trackerkit: Config.MaxAnnouncesPerTracker)")
	fs.IntVar(&c.rounds, "rounds", 5, "rounds of interleaved phases (at least 3 for min/median/max)")
	fs.IntVar(&c.seeds, "seeds", 6, "peers put into every swarm before the rounds")
	pacing := fs.String("pacing", "256,1024", "larger in-flight limits at which trackerkit's UDP is also run each round, comma-separated; empty: none")
	fs.StringVar(&c.tracker, "tracker", "auto", "auto (opentracker if available, else the mock), opentracker or mock")
	fs.BoolVar(&c.install, "install", true, "apt-get install opentracker when it is missing (as root)")
	protos := fs.String("protocols", "udp,http", "protocols to measure")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Minute, "limit of each phase")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of trackerkit's phases (not the bare clients') to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	bad := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(stderr, "benchharness:", err)
		return c, err
	}
	if c.torrents < 1 || c.inflight < 1 || c.rounds < 1 || c.seeds < 0 {
		return bad("-torrents, -inflight and -rounds must be positive, -seeds not negative")
	}
	if c.tracker != "auto" && c.tracker != "opentracker" && c.tracker != "mock" {
		return bad("-tracker %q: want auto, opentracker or mock", c.tracker)
	}
	for _, f := range strings.Split(*pacing, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return bad("-pacing %q: want positive numbers", *pacing)
		}
		c.pacing = append(c.pacing, n)
	}
	for _, p := range strings.Split(*protos, ",") {
		switch strings.TrimSpace(p) {
		case "udp":
			c.udp = true
		case "http":
			c.http = true
		case "":
		default:
			return bad("-protocols %q: want udp and/or http", *protos)
		}
	}
	return c, nil
}

// The peers of the run: each client announces as a peer of its own (its
// own ID and port), a leecher, in every swarm.
var (
	bareUDPPeer  = peerSpec{id: peer.ID{'-', 'B', 'A', 'R', 'E', 'U', '-'}, port: 40001, left: 1 << 30}
	bareHTTPPeer = peerSpec{id: peer.ID{'-', 'B', 'A', 'R', 'E', 'H', '-'}, port: 40002, left: 1 << 30}
	tkUDPPeer    = peerSpec{id: peer.ID{'-', 'T', 'K', 'U', 'D', 'P', '-'}, port: 40003, left: 1 << 30}
	tkHTTPPeer   = peerSpec{id: peer.ID{'-', 'T', 'K', 'H', 'T', 'T', 'P', '-'}, port: 40004, left: 1 << 30}
)

// hashesFor returns n distinct info hashes, the same in every run.
func hashesFor(n int) []transport.InfoHash {
	out := make([]transport.InfoHash, n)
	for i := range out {
		binary.BigEndian.PutUint64(out[i][:], uint64(i)+1)
		copy(out[i][8:], "trackerkit-b")
	}
	return out
}

// step is one timed phase of a round.
type step struct {
	name string
	run  func(context.Context) (phase, error)
}

// results collects each step's phases over the rounds.
type results map[string][]phase

// run measures and reports; it returns the phases measured.
func run(ctx context.Context, cfg config, out io.Writer) (results, error) {
	hashes := hashesFor(cfg.torrents)
	logf := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	tr, err := startTracker(ctx, cfg.tracker, cfg.install, hashes, logf)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	logf("trackerkit benchmark harness: %s on %s (TCP and UDP, loopback only)", tr.name, tr.udp)
	logf("%d torrents, %d in flight, %d rounds, GOMAXPROCS %d, %d CPUs, %s", cfg.torrents, cfg.inflight, cfg.rounds,
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	if err := seed(ctx, tr.udp, hashes, cfg.seeds); err != nil {
		return nil, err
	}
	logf("seeded %d peers into each swarm", cfg.seeds)

	var udpSteps, httpSteps []step
	phaseCtx := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, cfg.timeout)
	}
	withTimeout := func(f func(context.Context) (phase, error)) func(context.Context) (phase, error) {
		return func(ctx context.Context) (phase, error) {
			ctx, cancel := phaseCtx(ctx)
			defer cancel()
			return f(ctx)
		}
	}
	if cfg.udp {
		udpSteps = []step{
			{"udp bare", withTimeout(func(ctx context.Context) (phase, error) {
				return bareUDP(ctx, tr.udp, hashes, bareUDPPeer, cfg.inflight)
			})},
			{"udp trackerkit", withTimeout(func(ctx context.Context) (phase, error) {
				return viaSessions(ctx, tr.udpURL(), hashes, tkUDPPeer, cfg.inflight)
			})},
		}
		for _, n := range cfg.pacing {
			udpSteps = append(udpSteps, step{fmt.Sprintf("udp trackerkit@%d", n), withTimeout(func(ctx context.Context) (phase, error) {
				return viaSessions(ctx, tr.udpURL(), hashes, tkUDPPeer, n)
			})})
		}
	}
	if cfg.http {
		httpSteps = []step{
			{"http bare", withTimeout(func(ctx context.Context) (phase, error) {
				return bareHTTP(ctx, tr.httpURL, hashes, bareHTTPPeer, cfg.inflight)
			})},
			{"http trackerkit", withTimeout(func(ctx context.Context) (phase, error) {
				return viaSessions(ctx, tr.httpURL, hashes, tkHTTPPeer, cfg.inflight)
			})},
		}
	}
	var prof *profiler
	if cfg.cpuProfile != "" {
		if prof, err = newProfiler(cfg.cpuProfile); err != nil {
			return nil, err
		}
		defer prof.close()
	}
	res := results{}
	for r := range cfg.rounds {
		// Interleaved: each protocol's ceiling and trackerkit run back to
		// back, in an order that alternates from round to round.
		for _, steps := range [][]step{udpSteps, httpSteps} {
			order := slices.Clone(steps)
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				runtime.GC()
				profiled := prof != nil && strings.Contains(s.name, "trackerkit")
				if profiled {
					prof.resume()
				}
				p, err := s.run(ctx)
				if profiled {
					prof.pause()
				}
				if err != nil {
					return res, fmt.Errorf("round %d, %s: %w", r+1, s.name, err)
				}
				res[s.name] = append(res[s.name], p)
				logf("round %d  %-20s %9.0f announces/s  %5.2f s  %4.1f peers/reply%s", r+1, s.name, p.rate(), p.elapsed.Seconds(), p.peers, extra(p))
			}
		}
	}
	report(out, cfg, res)
	return res, nil
}

func extra(p phase) string {
	var s string
	if p.mallocs > 0 {
		s += fmt.Sprintf("  %.1f allocs/announce  %.0f B/idle pair", p.mallocs, p.idlePair)
	}
	if p.errors > 0 {
		s += fmt.Sprintf("  %d failed attempts", p.errors)
	}
	return s
}

// report prints the ratios over the rounds.
func report(out io.Writer, cfg config, res results) {
	fmt.Fprintf(out, "\nsummary over %d rounds (min / median / max):\n", cfg.rounds)
	ratio := func(label, num, den string) {
		a, b := res[num], res[den]
		if len(a) == 0 || len(a) != len(b) {
			return
		}
		rs := make([]float64, len(a))
		for i := range a {
			rs[i] = a[i].rate() / b[i].rate()
		}
		fmt.Fprintf(out, "  %-44s %s\n", label, spread(rs, "%.2f"))
	}
	rates := func(name string) {
		ps := res[name]
		if len(ps) == 0 {
			return
		}
		rs := make([]float64, len(ps))
		for i, p := range ps {
			rs[i] = p.rate()
		}
		fmt.Fprintf(out, "  %-44s %s announces/s\n", name, spread(rs, "%.0f"))
	}
	for _, name := range []string{"udp bare", "udp trackerkit", "http bare", "http trackerkit"} {
		rates(name)
	}
	ratio("UDP: trackerkit / bare socket", "udp trackerkit", "udp bare")
	ratio("HTTP: trackerkit / bare HTTP client", "http trackerkit", "http bare")
	for _, n := range cfg.pacing {
		ratio(fmt.Sprintf("UDP: trackerkit at %d in flight / at %d", n, cfg.inflight), fmt.Sprintf("udp trackerkit@%d", n), "udp trackerkit")
	}
	for _, name := range []string{"udp trackerkit", "http trackerkit"} {
		ps := res[name]
		if len(ps) == 0 {
			continue
		}
		allocs, idle := make([]float64, len(ps)), make([]float64, len(ps))
		for i, p := range ps {
			allocs[i], idle[i] = p.mallocs, p.idlePair
		}
		fmt.Fprintf(out, "  %-44s %s\n", name+": allocations per announce (process)", spread(allocs, "%.1f"))
		fmt.Fprintf(out, "  %-44s %s\n", name+": heap per idle (Session, tracker) pair", spread(idle, "%.0f B"))
	}
}

// spread formats min / median / max.
func spread(xs []float64, format string) string {
	lo, med, hi := minMedMax(xs)
	return fmt.Sprintf(format+" / "+format+" / "+format, lo, med, hi)
}

// minMedMax returns the smallest, median and largest of xs (the median of
// an even count is the mean of the middle two).
func minMedMax(xs []float64) (lo, med, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}
