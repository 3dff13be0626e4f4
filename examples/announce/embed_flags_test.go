package main

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

// -numwant 0, -param and the default left of a target of unknown size go
// on the wire; the tracker's BEP 24 external ip reaches the JSON lines.
func TestCLIEmbedFlags(t *testing.T) {
	mt, u := swarm(t)
	private := u + "?passkey=s3cret"
	mt.SetHTTPFaults(mocktracker.HTTPFaults{ExternalIP: netip.MustParseAddr("198.51.100.4")})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
	defer cancel()
	r := runCtx(t, ctx, "-json", "-once", "-numwant", "0", "-param", "client=tk", "-param", "passkey=other",
		"-tracker", private, testHash)
	if r.code != exitAnswered {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	q := mt.LastHTTPRequest().URL.Query()
	if q.Get("numwant") != "0" || q.Get("client") != "tk" || q["passkey"][0] != "s3cret" || len(q["passkey"]) != 1 {
		t.Errorf("query %v: want numwant=0, client=tk and the tracker's own passkey only", q)
	}
	if q.Get("left") != "16384" {
		t.Errorf("left %q: an info hash of unknown size is a leecher (16384)", q.Get("left"))
	}
	updates := 0
	for _, m := range r.lines {
		if m["type"] == "update" {
			updates++
			if m["external_ip"] != "198.51.100.4" {
				t.Errorf("update without external_ip: %v", m)
			}
		}
	}
	if updates == 0 {
		t.Fatalf("no update line:\n%s", r.stdout)
	}
}

// -json prints a "state" line for each change of a tracker's state, with its
// snapshot: announcing, ok (with the round-trip time), stopping, stopped.
func TestCLIStateLines(t *testing.T) {
	_, u := swarm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
	defer cancel()
	r := runCtx(t, ctx, "-json", "-once", "-tracker", u, testHash)
	if r.code != exitAnswered {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var states []string
	for _, m := range r.lines {
		if m["type"] != "state" {
			continue
		}
		states = append(states, m["from"].(string)+">"+m["state"].(string))
		if m["state"] == "ok" {
			if rtt, _ := m["rtt"].(float64); rtt <= 0 || m["smoothed_rtt"] == nil || m["complete"] != 2.0 || m["next_announce"] == nil {
				t.Errorf("ok state line %v", m)
			}
		}
	}
	want := []string{"idle>announcing", "announcing>ok", "ok>stopping", "stopping>stopped"}
	if !slices.Equal(states, want) {
		t.Errorf("state lines %v, want %v", states, want)
	}
}

// A hybrid magnet (urn:btih and urn:btmh) is announced under both hashes;
// a v2-only one under its truncated v2 hash. The lines say which.
func TestCLIHybridAndV2Only(t *testing.T) {
	_, u := swarm(t)
	v2 := strings.Repeat("cd", 32)
	short := strings.Repeat("cd", 20)
	tests := []struct {
		name   string
		target string
		want   map[string]int // started updates by info_hash
	}{
		{"hybrid", "magnet:?xt=urn:btih:" + testHash + "&xt=urn:btmh:1220" + v2, map[string]int{testHash: 1, short: 1}},
		{"v2 only", "magnet:?xt=urn:btmh:1220" + v2, map[string]int{short: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
			defer cancel()
			r := runCtx(t, ctx, "-json", "-once", "-tracker", u, tt.target)
			if r.code != exitAnswered {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			got := map[string]int{}
			for _, m := range r.lines {
				if m["type"] == "update" && m["event"] == "started" {
					got[m["info_hash"].(string)]++
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("started by info_hash %v, want %v\n%s", got, tt.want, r.stdout)
			}
		})
	}
}

// The plain output's first line names the v2 hash of a BEP 52 target.
func TestInfoHashLineV2(t *testing.T) {
	tgt, err := parseMagnet("magnet:?xt=urn:btih:" + testHash + "&xt=urn:btmh:1220" + strings.Repeat("cd", 32) + "&dn=x")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := infoHashLine(tgt), "info hash: "+testHash+" (v2 "+strings.Repeat("cd", 32)+") (x)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
