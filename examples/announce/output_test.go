package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var t0 = time.Date(2026, 11, 21, 19, 30, 0, 123456789, time.FixedZone("X", 3600))

// rawPrivate is a private tracker's announce URL; only its redacted form may
// ever be printed.
const rawPrivate = "https://private.test/0123456789abcdef0123/announce?passkey=feedfacefeedface0000"

// sampleEvents has one event of each type and the cases around them, at t0.
func sampleEvents() []announcer.Event { return sampleEventsAt(t0) }

// sampleEventsAt is sampleEvents with at for t0: the same instant in
// another location moves only how times print.
func sampleEventsAt(at time.Time) []announcer.Event {
	red := transport.RedactString(rawPrivate)
	var id peer.ID
	copy(id[:], "-TK0001-abcdefghijkl")
	return []announcer.Event{
		announcer.PeerEvent{Time: at, Tracker: "udp://127.0.0.1:6969", Protocol: announcer.ProtocolUDP,
			Peers: []peer.Peer{{Addr: netip.MustParseAddrPort("1.2.3.4:6881")}}},
		announcer.PeerEvent{Time: at, Tracker: "http://127.0.0.1:8000/announce", Protocol: announcer.ProtocolHTTP,
			Peers: []peer.Peer{{Addr: netip.MustParseAddrPort("[2001:db8::1]:6881"), ID: id}}},
		announcer.PeerEvent{Time: at, Tracker: "http://127.0.0.1:8000/announce", Protocol: announcer.ProtocolHTTP,
			Peers: []peer.Peer{{Host: "peer.test", Addr: netip.AddrPortFrom(netip.Addr{}, 51413)}}},
		announcer.PeerEvent{Time: at, Tracker: "ws://127.0.0.1:8001", Protocol: announcer.ProtocolWebRTC, Peers: []peer.Peer{{ID: id}}},
		announcer.UpdateEvent{Time: at, Tracker: "udp://127.0.0.1:6969", Event: transport.EventStarted,
			Complete: 3, Incomplete: 2, Interval: 30 * time.Minute, Peers: 5, ExternalIP: netip.MustParseAddr("203.0.113.9")},
		announcer.UpdateEvent{Time: at, Tracker: "ws://127.0.0.1:8001", Event: transport.EventNone,
			Complete: -1, Incomplete: -1, Interval: 1500 * time.Millisecond, Peers: 0},
		announcer.UpdateEvent{Time: at, Tracker: red, Event: transport.EventStopped, Complete: 0, Incomplete: 0, Interval: time.Minute},
		announcer.ScrapeEvent{Time: at, Tracker: "udp://127.0.0.1:6969", InfoHash: transport.InfoHash{0x50, 0xb2},
			Stats: transport.ScrapeStats{Complete: 3, Incomplete: 2, Downloaded: 7}},
		announcer.ScrapeEvent{Time: at, Tracker: "ws://127.0.0.1:8001", Stats: transport.ScrapeStats{Complete: 1, Incomplete: 0, Downloaded: -1}},
		announcer.WarningEvent{Time: at, Tracker: red, Message: `ratio < 1 & "slow"` + "\x1b[2J"},
		announcer.ErrorEvent{Time: at, Tracker: red, Failures: 2, NextTry: at.Add(30 * time.Second),
			Err: &transport.Error{Op: "announce", URL: red, Err: &transport.FailureError{Reason: "Unregistered torrent: ünïcode & <tags>"}}},
		announcer.ErrorEvent{Time: at, Tracker: "udp://[::1]:6969", Failures: 0, NextTry: at.Add(30 * time.Minute),
			Err: &transport.Error{Op: "announce", URL: "udp://[::1]:6969", Err: transport.ErrSkipped}},
		announcer.ErrorEvent{Time: at, Tracker: red, Failures: 1, GaveUp: true,
			Err: errors.New("leaky lower layer: Get " + rawPrivate + ": boom")},
		announcer.DroppedEvent{Time: at, Count: 12},
		announcer.StateEvent{Time: at, Tracker: "udp://127.0.0.1:6969", From: announcer.StateAnnouncing,
			Status: announcer.TrackerStatus{URL: "udp://127.0.0.1:6969", State: announcer.StateOK, Seeders: 3, Leechers: 2, Peers: 5,
				NextAnnounce: at.Add(30 * time.Minute), RTT: 12 * time.Millisecond, SmoothedRTT: 15 * time.Millisecond,
				ExternalIP: netip.MustParseAddr("2001:db8::9")}},
		announcer.StateEvent{Time: at, Tracker: red, From: announcer.StateAnnouncing,
			Status: announcer.TrackerStatus{URL: red, State: announcer.StateBackingOff, Seeders: -1, Leechers: -1, Failures: 1,
				NextAnnounce: at.Add(15 * time.Second),
				LastError:    errors.New("Get " + rawPrivate + ": connection refused")}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestJSONGolden pins the -json output, a public interface: a diff here is
// a breaking change unless it only adds fields.
func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	scrub := newScrubber([]string{rawPrivate})
	b := newBoard(t0, []string{"udp://127.0.0.1:6969", "http://127.0.0.1:8000/announce"})
	o := &jsonOutput{w: &buf, b: b, infoHash: testHash, scrub: scrub}
	for _, ev := range sampleEvents() {
		b.apply(ev, scrub)
		o.event(ev)
	}
	o.finish(t0.Add(90 * time.Second))
	if o.err != nil {
		t.Fatal(o.err)
	}
	golden(t, "events.jsonl", buf.Bytes())
	objs := checkJSONLines(t, buf.Bytes())
	// Every line names the torrent; the scrape lines name the torrent
	// scraped when the event carries it.
	for i, m := range objs {
		want := testHash
		if m["type"] == "scrape" && i == 7 {
			want = "50b2000000000000000000000000000000000000"
		}
		if m["info_hash"] != want {
			t.Errorf("line %d: info_hash %v, want %s", i+1, m["info_hash"], want)
		}
	}
	// The last line is the summary, with what the text summary says.
	last := objs[len(objs)-1]
	if last["type"] != "summary" || last["answered"] != 3.0 || last["total"] != 5.0 || last["peers"] != 4.0 || last["duration"] != 90.0 {
		t.Fatalf("last line is not the expected summary: %v", last)
	}
	var text bytes.Buffer
	(&logOutput{w: &text, b: b, scrub: scrub}).finish(t0.Add(90 * time.Second))
	trackers, _ := last["trackers"].([]any)
	if len(trackers) != len(b.rows) {
		t.Fatalf("summary has %d trackers, board %d", len(trackers), len(b.rows))
	}
	for _, tr := range trackers {
		m := tr.(map[string]any)
		line := fmt.Sprintf("  %-8s %s", m["state"], m["tracker"])
		if !strings.Contains(text.String(), line) {
			t.Errorf("summary entry %v: text summary has no line %q:\n%s", m, line, text.String())
		}
	}
}

// checkJSONLines checks the contract every line must keep, whatever the
// golden file says: one object per line, the common keys, the per-type keys.
func checkJSONLines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	required := map[string][]string{
		"peer":    {"addr", "transport"},
		"update":  {"event", "complete", "incomplete", "interval", "peers", "external_ip"},
		"state":   {"state", "from", "complete", "incomplete", "peers", "failures", "next_announce", "rtt", "smoothed_rtt", "last_error", "external_ip"},
		"scrape":  {"info_hash", "complete", "incomplete", "downloaded"},
		"warning": {"message"},
		"error":   {"error"},
		"summary": {"answered", "total", "peers", "duration", "dropped", "trackers"},
	}
	var objs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", i+1, err, line)
		}
		ts, _ := m["time"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("line %d: time %q is not RFC 3339", i+1, ts)
		}
		if _, ok := m["tracker"].(string); !ok {
			t.Errorf("line %d: no tracker: %s", i+1, line)
		}
		if h, _ := m["info_hash"].(string); len(h) != 40 {
			t.Errorf("line %d: info_hash %q is not 40 hex characters: %s", i+1, h, line)
		}
		typ, _ := m["type"].(string)
		keys, ok := required[typ]
		if !ok {
			t.Errorf("line %d: unknown type %q", i+1, typ)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d (%s): no %q: %s", i+1, typ, k, line)
			}
		}
		for _, secret := range []string{"0123456789abcdef0123", "feedfacefeedface0000"} {
			if strings.Contains(line, secret) {
				t.Errorf("line %d leaks a secret: %s", i+1, line)
			}
		}
		objs = append(objs, m)
	}
	return objs
}

func TestLogLinesGolden(t *testing.T) {
	var buf bytes.Buffer
	b := newBoard(t0, []string{"udp://127.0.0.1:6969", "http://127.0.0.1:8000/announce"})
	scrub := newScrubber([]string{rawPrivate})
	o := &logOutput{w: &buf, b: b, scrub: scrub}
	// In UTC, so that log lines do not depend on the machine's time zone.
	for _, ev := range sampleEventsAt(t0.UTC()) {
		b.apply(ev, scrub)
		o.event(ev)
	}
	o.finish(t0.Add(90 * time.Second))
	golden(t, "events.log", buf.Bytes())
	if strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "feedface") {
		t.Error("log output holds an escape or a secret")
	}
}

func TestLiveView(t *testing.T) {
	b := newBoard(t0, []string{"udp://127.0.0.1:6969", transport.RedactString(rawPrivate), "wss://never.test"})
	scrub := newScrubber([]string{rawPrivate})
	for _, ev := range sampleEvents() {
		b.apply(ev, scrub)
	}
	lines := renderBoard(b, "trackerkit · demo · 50b2dfb9", t0.Add(75*time.Second), 100)
	frame := strings.Join(lines, "\n") + "\n"
	golden(t, "liveview.txt", []byte(frame))
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line of %d runes wraps: %q", n, l)
		}
		if strings.ContainsAny(l, "\x1b\n\r") {
			t.Errorf("control character in %q", l)
		}
	}

	// In-place refresh: the second frame moves up over the first.
	var buf bytes.Buffer
	o := newLiveOutput(&buf, b, "title")
	o.width = 100 // the wide layout: one line per tracker
	o.tick(t0)
	first := buf.String()
	if !strings.HasPrefix(first, ansiHideCursor) || strings.Contains(first, "\x1b[6A") {
		t.Errorf("first frame %q", first)
	}
	buf.Reset()
	o.tick(t0.Add(100 * time.Millisecond)) // nothing changed, under a second: no redraw
	if buf.Len() != 0 {
		t.Errorf("redrawn without a change: %q", buf.String())
	}
	o.event(announcer.WarningEvent{Time: t0, Tracker: "udp://127.0.0.1:6969", Message: "x"})
	o.tick(t0.Add(200 * time.Millisecond))
	if !strings.HasPrefix(buf.String(), "\x1b[8A\r") { // header, column titles, 6 rows
		t.Errorf("second frame does not move up over the first: %q", buf.String()[:min(20, buf.Len())])
	}
	buf.Reset()
	o.finish(t0.Add(time.Second))
	if !strings.Contains(buf.String(), ansiShowCursor) || !strings.Contains(buf.String(), "summary: ") {
		t.Errorf("finish: %q", buf.String())
	}
}

func TestBoardExitStatus(t *testing.T) {
	b := newBoard(t0, []string{"udp://a.test:1"})
	b.apply(announcer.ErrorEvent{Time: t0, Tracker: "udp://a.test:1", Err: errors.New("x"), Failures: 1}, func(s string) string { return s })
	if b.exitStatus() != exitNoAnswer {
		t.Error("an error alone counts as an answer")
	}
	b.apply(announcer.ScrapeEvent{Time: t0, Tracker: "udp://a.test:1"}, func(s string) string { return s })
	if b.exitStatus() != exitAnswered {
		t.Error("a scrape reply is an answer")
	}
	b = newBoard(t0, nil)
	b.apply(announcer.UpdateEvent{Time: t0, Tracker: "udp://a.test:1", Interval: time.Minute}, func(s string) string { return s })
	if b.exitStatus() != exitAnswered || len(b.rows) != 1 || b.rows[0].State != stateOK {
		t.Error("an update is an answer")
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"ünïcode ✓", "ünïcode ✓"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"line\nbreak\r\t", `line\x0abreak\x0d\x09`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"bidi \u202e evil", `bidi \u202e evil`},
		{"c1 \u009b", `c1 \u009b`},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubber(t *testing.T) {
	scrub := newScrubber([]string{rawPrivate, "udp://short.test:1/ab?k=1", "http://user:hunter2hunter2hunter2@u.test/announce", "%%bad"})
	tests := []struct{ in, want string }{
		{"Get " + rawPrivate + ": EOF", "Get https://private.test/REDACTED/announce?passkey=REDACTED: EOF"},
		{"passkey feedfacefeedface0000 unknown", "passkey REDACTED unknown"},
		{"seg 0123456789abcdef0123 there", "seg REDACTED there"},
		{"k=1 ab stays", "k=1 ab stays"}, // too short to be a secret
		{"pw hunter2hunter2hunter2", "pw REDACTED"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := tagRE.ReplaceAllString(scrub(tt.in), "REDACTED"); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if newScrubber(nil)("x") != "x" {
		t.Error("empty scrubber changes text")
	}
}
