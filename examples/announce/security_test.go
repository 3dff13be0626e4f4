package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
)

// Issue 12 in the CLI: secrets never echoed, distinct trackers kept
// distinct, and input bounded before it costs anything.

// TestOnceWaitsForEveryPasskey: two trackers on one host:port that differ
// only by passkey are two rows, two identities in events, and -once waits
// for both (they once redacted to one string: -once stopped after the
// first answered and the other got "started" but never "stopped").
func TestOnceWaitsForEveryPasskey(t *testing.T) {
	_, u := swarm(t)
	base := strings.TrimSuffix(u, "announce")
	a := base + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/announce"
	b := base + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/announce"
	r := runCtx(t, context.Background(), "-json", "-once", "-tracker", a, "-tracker", b, testHash)
	if r.code != exitAnswered {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	events := map[string]map[string]bool{} // tracker -> events
	for _, l := range r.ofType("update") {
		tr, _ := l["tracker"].(string)
		ev, _ := l["event"].(string)
		if events[tr] == nil {
			events[tr] = map[string]bool{}
		}
		events[tr][ev] = true
	}
	if len(events) != 2 {
		t.Fatalf("updates from %d distinct trackers, want 2:\n%s", len(events), r.stdout)
	}
	for tr, evs := range events {
		if !evs["started"] || !evs["stopped"] {
			t.Errorf("%s: events %v, want started and stopped", tr, evs)
		}
		if strings.Contains(tr, "aaaa") || strings.Contains(tr, "bbbb") {
			t.Errorf("tracker %q leaks its passkey", tr)
		}
	}
}

// TestRunBareQueryToken: a passkey given as a bare query token
// ("/announce?SECRETTOKEN") is never printed, in any output.
func TestRunBareQueryToken(t *testing.T) {
	_, u := swarm(t)
	const token = "SECRETTOKEN0123456789abcdef"
	for _, args := range [][]string{
		{"-json", "-once", "-tracker", u + "?" + token, testHash},
		{"-once", "-tracker", u + "?" + token, testHash},
		{"-once", "-tracker", "http://127.0.0.1:1/announce?" + token, testHash},
		{"-once", "-tracker", "gopher://127.0.0.1:1/announce?" + token, testHash},
	} {
		r := runCtx(t, context.Background(), args...)
		if all := r.stdout + r.stderr; strings.Contains(all, token) || !strings.Contains(all, "REDACTED~") {
			t.Errorf("%v: output leaks the token or shows no redacted URL:\n%s", args, all)
		}
	}
}

// TestMagnetBadEscapeNotEchoed: a tr= with a bad %-escape used to echo its
// first characters raw on stderr.
func TestMagnetBadEscapeNotEchoed(t *testing.T) {
	for _, tr := range []string{
		"http://t.test/SECRETPASSKEY0123/announce%zz",
		"http%3A%2F%2Ft.test%2FSECRETPASSKEY0123%2Fannounce%zz",
		"%zzSECRETPASSKEY0123",
	} {
		magnet := "magnet:?xt=urn:btih:" + testHash + "&tr=" + tr
		_, err := parseMagnet(magnet)
		if err == nil {
			t.Fatalf("%q accepted", tr)
		}
		if s := err.Error(); strings.Contains(s, "SECRET") || strings.Contains(s, "%zz") || !strings.Contains(s, "REDACTED~") {
			t.Errorf("%q: error %q", tr, s)
		}
		r := runCtx(t, context.Background(), "-once", magnet)
		if strings.Contains(r.stdout+r.stderr, "SECRET") || r.code != exitUsage {
			t.Errorf("%q: exit %d, output:\n%s%s", tr, r.code, r.stdout, r.stderr)
		}
	}
}

// TestTorrentSizeCheckedFirst: an oversized .torrent is refused by its size,
// before it is read (a 150 MB file cost 173 MB when checked after reading).
func TestTorrentSizeCheckedFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.torrent")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(150 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = loadTarget(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("refusing a 150 MB file allocated %d bytes", alloc)
	}
}

// TestDropLinesCoalesced: drops are summed into at most one line a second,
// the first at once, the rest at the end.
func TestDropLinesCoalesced(t *testing.T) {
	var d dropCoalescer
	t0 := time.Unix(1000, 0)
	var shown []int
	for i := range 753 { // 753 DroppedEvents within 0.75 s
		d.add(announcer.DroppedEvent{Count: 40})
		if e, ok := d.due(t0.Add(time.Duration(i) * time.Millisecond)); ok {
			shown = append(shown, e.Count)
		}
	}
	if e, ok := d.flush(t0.Add(time.Second)); ok {
		shown = append(shown, e.Count)
	}
	if len(shown) != 2 || shown[0] != 40 || shown[0]+shown[1] != 753*40 {
		t.Errorf("lines %v, want 2 summing to %d", shown, 753*40)
	}
	if _, ok := d.flush(t0); ok {
		t.Error("flush with nothing pending")
	}
	d.add(announcer.DroppedEvent{Count: 1})
	if _, ok := d.due(t0.Add(1500 * time.Millisecond)); ok {
		t.Error("a line within a second of the last")
	}
	if e, ok := d.due(t0.Add(2 * time.Second)); !ok || e.Count != 1 {
		t.Errorf("due after a second: %v %v", e, ok)
	}
}

func TestRunRedactsSecrets(t *testing.T) {
	_, u := swarm(t)
	const passkey, query = "0123456789abcdef0123456789abcdef", "feedfacefeedfacefeedface"
	private := strings.TrimSuffix(u, "announce") + passkey + "/announce?passkey=" + query
	// A tracker that is not there, with a passkey too.
	deadPrivate := "http://127.0.0.1:1/" + passkey + "/announce?pk=" + query
	for _, args := range [][]string{
		{"-json", "-once", "-tracker", private, "-tracker", deadPrivate, testHash},
		{"-once", "-tracker", private, "-tracker", deadPrivate, testHash},
		{"-json", "-scrape", "-tracker", private, testHash},
		{"-once", "-tracker", "ftp://127.0.0.1/" + passkey + "/announce", testHash},
	} {
		r := runCtx(t, context.Background(), args...)
		all := r.stdout + r.stderr
		if strings.Contains(all, passkey) || strings.Contains(all, query) {
			t.Errorf("%v: output leaks a secret:\n%s", args[:2], all)
		}
		if !strings.Contains(all, "REDACTED") {
			t.Errorf("%v: no redacted URL in the output:\n%s", args[:2], all)
		}
		for _, l := range r.lines {
			if tr, _ := l["tracker"].(string); tr != "" && !regexp.MustCompile(`/REDACTED~[0-9a-f]{6}/announce\?`).MatchString(tr) {
				t.Errorf("tracker %q not redacted", tr)
			}
		}
	}
}
