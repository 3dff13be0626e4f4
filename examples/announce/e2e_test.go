package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The CLI end to end: run() in-process against the mock tracker on
// loopback, output parsed line by line.

// runCLI runs the CLI in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// A hang detector only: generous, so that a loaded machine passes.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// jsonLines parses -json output, failing on any line that is not an object
// with "time" (RFC 3339), "type", "tracker" and "info_hash", or when the
// output does not end with its "summary" line; it returns the lines before
// the summary.
func jsonLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON object: %q: %v", line, err)
		}
		ts, _ := m["time"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Fatalf("bad time in %q", line)
		}
		if _, ok := m["type"].(string); !ok {
			t.Fatalf("no type in %q", line)
		}
		if _, ok := m["tracker"].(string); !ok && m["type"] != "dropped" {
			t.Fatalf("no tracker in %q", line)
		}
		if h, _ := m["info_hash"].(string); len(h) != 40 {
			t.Fatalf("no 40-hex info_hash in %q", line)
		}
		objs = append(objs, m)
	}
	// The last line, and only it, is the summary: the lines before it are
	// what tests look at.
	if len(objs) == 0 || objs[len(objs)-1]["type"] != "summary" {
		t.Fatalf("-json output does not end with a summary line:\n%s", stdout)
	}
	objs = objs[:len(objs)-1]
	for _, m := range objs {
		if m["type"] == "summary" {
			t.Fatalf("a summary line before the last line:\n%s", stdout)
		}
	}
	return objs
}

func TestCLIDemoJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "-demo", "-json")
	if code != exitAnswered {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	seen := map[string]bool{}
	transports := map[string]bool{}
	for _, m := range jsonLines(t, stdout) {
		typ := m["type"].(string)
		seen[typ+"/"+asString(m["event"])] = true
		switch typ {
		case "peer":
			if webrtc := m["transport"] == "webrtc"; asString(m["addr"]) == "" && !webrtc || webrtc && asString(m["id"]) == "" {
				t.Errorf("peer without addr (or WebRTC peer without id): %v", m)
			}
			transports[asString(m["transport"])] = true
		case "update":
			for _, k := range []string{"event", "complete", "incomplete", "interval", "peers"} {
				if _, ok := m[k]; !ok {
					t.Errorf("update without %s: %v", k, m)
				}
			}
		}
	}
	for _, want := range []string{"update/started", "update/stopped", "peer/"} {
		if !seen[want] {
			t.Errorf("no %s line in:\n%s", want, stdout)
		}
	}
	if !transports["http"] || !transports["udp"] {
		t.Errorf("peers by transport %v, want http and udp", transports)
	}
	if !transports["webrtc"] {
		// The simulated WebRTC peer is best effort (ICE on a loaded
		// machine can take longer than the demo waits): say so, don't fail.
		t.Logf("no webrtc peer in the demo this time (transports %v)", transports)
	}
}

func TestCLIOnceJSONAgainstMock(t *testing.T) {
	tr := newMock(t)
	announceURL := listenLoopback(t, tr.ListenHTTP)
	udpURL := listenLoopback(t, tr.ListenUDP)
	// A private tracker: passkey in the path and the query.
	private := strings.Replace(announceURL, "/announce", "/s3cretpath/announce?passkey=s3cretkey", 1)
	hash := "0123456789abcdef0123456789abcdef01234567"

	tests := []struct {
		name     string
		faults   mocktracker.HTTPFaults
		args     []string
		wantCode int
		check    func(t *testing.T, objs []map[string]any)
	}{
		{
			name: "answers", args: []string{"-json", "-once", "-tracker", private, "-tracker", udpURL, hash}, wantCode: 0,
			check: func(t *testing.T, objs []map[string]any) {
				events := map[string]int{}
				for _, m := range objs {
					if m["type"] == "update" {
						events[asString(m["event"])]++
					}
				}
				if events["started"] != 2 || events["stopped"] != 2 {
					t.Errorf("updates by event %v, want 2 started and 2 stopped", events)
				}
			},
		},
		{
			name:   "failure reason verbatim",
			faults: mocktracker.HTTPFaults{FailureReason: "Unregistered torrent: go away"},
			args:   []string{"-json", "-once", "-tracker", private, hash}, wantCode: 1,
			check: func(t *testing.T, objs []map[string]any) {
				if len(objs) == 0 || objs[0]["type"] != "error" ||
					!strings.Contains(asString(objs[0]["error"]), "Unregistered torrent: go away") {
					t.Errorf("want an error line with the failure reason, got %v", objs)
				}
			},
		},
		{
			name: "warning", faults: mocktracker.HTTPFaults{Warning: "be nice"},
			args: []string{"-json", "-once", "-tracker", private, hash}, wantCode: 0,
			check: func(t *testing.T, objs []map[string]any) {
				for _, m := range objs {
					if m["type"] == "warning" && m["message"] == "be nice" {
						return
					}
				}
				t.Errorf("no warning line in %v", objs)
			},
		},
		{
			name: "scrape", args: []string{"-json", "-scrape", "-tracker", private, hash}, wantCode: 0,
			check: func(t *testing.T, objs []map[string]any) {
				if len(objs) != 1 || objs[0]["type"] != "scrape" || objs[0]["info_hash"] != hash {
					t.Errorf("want one scrape line for %s, got %v", hash, objs)
				}
				for _, k := range []string{"complete", "incomplete", "downloaded"} {
					if _, ok := objs[0][k]; !ok {
						t.Errorf("scrape without %s", k)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr.SetHTTPFaults(tt.faults)
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q; stdout:\n%s", code, tt.wantCode, stderr, stdout)
			}
			if strings.Contains(stdout+stderr, "s3cretpath") || strings.Contains(stdout+stderr, "s3cretkey") {
				t.Fatalf("a secret leaked:\n%s%s", stdout, stderr)
			}
			objs := jsonLines(t, stdout)
			for _, m := range objs {
				if tr := asString(m["tracker"]); strings.HasPrefix(tr, "http") && !strings.Contains(tr, "REDACTED") {
					t.Errorf("tracker not redacted: %q", tr)
				}
			}
			var events []map[string]any // state lines are checked in embed_flags_test.go
			for _, m := range objs {
				if m["type"] != "state" {
					events = append(events, m)
				}
			}
			tt.check(t, events)
		})
	}
}

func TestCLIBadTargets(t *testing.T) {
	dir := t.TempDir()
	badTorrent := filepath.Join(dir, "bad.torrent")
	if err := os.WriteFile(badTorrent, []byte("d8:announce"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no target", nil, "missing TARGET"},
		{"bad torrent", []string{badTorrent}, "bad.torrent"},
		{"bad magnet", []string{"magnet:?xt=urn:btih:xyz"}, "magnet"},
		{"bad hash", []string{"0123"}, "0123"},
		{"bad flag", []string{"-port", "0", "0123456789abcdef0123456789abcdef01234567"}, "-port"},
		{"no tracker", []string{"0123456789abcdef0123456789abcdef01234567"}, "no tracker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2", code)
			}
			if stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("want one stderr line naming %q; stdout %q stderr %q", tt.want, stdout, stderr)
			}
		})
	}
}

func asString(v any) string { s, _ := v.(string); return s }

// TestCLINetworkFlags: with -bind 127.0.0.2 the HTTP and UDP trackers see
// that source; -user-agent and -ip reach the HTTP tracker.
func TestCLINetworkFlags(t *testing.T) {
	tr := newMock(t)
	l := proxytest.Listen(t, "127.0.0.1:0")
	rec := proxytest.NewRecorder(t, tr.HTTPHandler(), l)
	udpURL := listenLoopback(t, tr.ListenUDP)
	httpURL := (&url.URL{Scheme: "http", Host: l.Addr().String(), Path: "/announce"}).String()
	const hash = "0123456789abcdef0123456789abcdef01234567"
	code, _, stderr := runCLI(t, "-json", "-once", "-bind", "127.0.0.2", "-user-agent", "test-agent/1", "-ip", "192.0.2.9",
		"-tracker", httpURL, "-tracker", udpURL, hash)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bound := netip.MustParseAddr("127.0.0.2")
	if got := tr.UDPSources(); !slices.Equal(got, []netip.Addr{bound}) {
		t.Fatalf("UDP tracker saw packets from %v, want only from %v", got, bound)
	}
	reqs := rec.Requests()
	if len(reqs) != 2 { // started, stopped
		t.Fatalf("HTTP tracker saw %d requests: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.Source != bound || r.UserAgent != "test-agent/1" || r.Query.Get("ip") != "192.0.2.9" {
			t.Fatalf("HTTP tracker saw %+v, want source %v, User-Agent test-agent/1, ip=192.0.2.9", r, bound)
		}
	}
}

// swarm starts a mock tracker with an HTTP front end on 127.0.0.1 and three
// simulated peers (two seeders, one leecher) in the swarm of testHash.
func swarm(t *testing.T) (*mocktracker.Tracker, string) {
	t.Helper()
	mt := newMock(t)
	u := listenLoopback(t, mt.ListenHTTP)
	h, _ := transport.ParseInfoHash(testHash)
	for i, left := range []int64{0, 0, 100} {
		var id peer.ID
		copy(id[:], "-SIM000-simulated"+string(rune('a'+i)))
		mt.AddPeer(h, id, netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + i)}), uint16(6881+i)), left)
	}
	return mt, u
}

type result struct {
	code           int
	stdout, stderr string
	lines          []map[string]any // -json lines
}

func runCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	for _, a := range args {
		if a == "-json" && out.Len() > 0 {
			r.lines = checkJSONLines(t, out.Bytes())
		}
	}
	return r
}

// ofType returns the lines of one type.
func (r result) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, l := range r.lines {
		if l["type"] == typ {
			out = append(out, l)
		}
	}
	return out
}

func TestRunJSONOnce(t *testing.T) {
	_, u := swarm(t)
	r := runCtx(t, context.Background(), "-json", "-once", "-left", "0", "-tracker", u, testHash)
	if r.code != exitAnswered || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	updates := r.ofType("update")
	if len(updates) != 2 {
		t.Fatalf("want 2 updates (started, stopped), got %d:\n%s", len(updates), r.stdout)
	}
	started, stopped := updates[0], updates[1]
	if started["event"] != "started" || started["tracker"] != u || started["interval"] != 1800.0 ||
		started["complete"] != 3.0 || started["incomplete"] != 1.0 || started["peers"] != 3.0 {
		t.Errorf("started update %v", started)
	}
	if stopped["event"] != "stopped" {
		t.Errorf("last update %v, want the stopped one", stopped)
	}
	peers := r.ofType("peer")
	if len(peers) != 3 {
		t.Fatalf("want 3 peers, got %d", len(peers))
	}
	addrs := map[any]bool{}
	for _, p := range peers {
		addrs[p["addr"]] = true
		if p["transport"] != "http" || p["tracker"] != u {
			t.Errorf("peer %v", p)
		}
	}
	for _, want := range []string{"127.0.0.2:6881", "127.0.0.3:6882", "127.0.0.4:6883"} {
		if !addrs[want] {
			t.Errorf("peer %s missing from %v", want, addrs)
		}
	}
}

func TestRunExitStatus(t *testing.T) {
	_, u := swarm(t)
	dir := t.TempDir()
	badTorrent := filepath.Join(dir, "bad.torrent")
	os.WriteFile(badTorrent, []byte("d4:infod4:name1:x6:lengthi-5eee"), 0o600)
	// A port nobody listens on: connection refused, at once.
	dead := "http://127.0.0.1:1/announce"
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"answered", []string{"-once", "-tracker", u, testHash}, exitAnswered, ""},
		{"one of two answered", []string{"-once", "-tracker", dead, "-tracker", u, testHash}, exitAnswered, ""},
		{"none answered", []string{"-once", "-tracker", dead, testHash}, exitNoAnswer, ""},
		{"no target", []string{"-once"}, exitUsage, "missing TARGET"},
		{"unknown flag", []string{"-bogus", testHash}, exitUsage, "flag provided but not defined: -bogus"},
		{"bad torrent", []string{"-once", badTorrent}, exitUsage, `bad .torrent file "` + badTorrent + `": info.piece length: missing`},
		{"bad magnet", []string{"-once", "magnet:?xt=urn:btih:123&tr=" + u}, exitUsage, "bad magnet URI: xt: urn:btih:123 is not 40 hex or 32 base32 characters"},
		{"no trackers", []string{"-once", testHash}, exitUsage, "TARGET lists no tracker: add one with -tracker URL"},
		{"sub-second floor", []string{"-once", "-min-interval", "1ms", testHash}, exitUsage, "-min-interval 1ms: want at least 1s"},
		{"help", []string{"-h"}, exitAnswered, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCtx(t, context.Background(), tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.want, r.stderr)
			}
			if tt.want == exitUsage {
				if !strings.HasPrefix(r.stderr, "announce: "+tt.wantStderr) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("stderr %q, want one line starting %q", r.stderr, tt.wantStderr)
				}
				if r.stdout != "" {
					t.Errorf("stdout %q on a usage error", r.stdout)
				}
			}
		})
	}
}

func TestRunFailureReasonVerbatim(t *testing.T) {
	mt, u := swarm(t)
	reason := `Unregistered torrent: "ünïcode" & <more>`
	mt.SetHTTPFaults(mocktracker.HTTPFaults{FailureReason: reason})
	r := runCtx(t, context.Background(), "-json", "-once", "-tracker", u, testHash)
	if r.code != exitNoAnswer {
		t.Errorf("exit %d, want 1", r.code)
	}
	errs := r.ofType("error")
	if len(errs) != 1 {
		t.Fatalf("want 1 error line, got:\n%s", r.stdout)
	}
	if msg, _ := errs[0]["error"].(string); !strings.Contains(msg, reason) {
		t.Errorf("error %q does not hold the failure reason verbatim", msg)
	}
	if !strings.Contains(r.stdout, `& <more>`) {
		t.Error("& and <> are escaped in the JSON output")
	}
}

func TestRunScrape(t *testing.T) {
	_, u := swarm(t)
	r := runCtx(t, context.Background(), "-json", "-scrape", "-tracker", u, "-tracker", "http://127.0.0.1:1/noscrape", testHash)
	if r.code != exitAnswered {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	scrapes := r.ofType("scrape")
	if len(scrapes) != 1 {
		t.Fatalf("want one scrape line:\n%s", r.stdout)
	}
	s := scrapes[0]
	if s["info_hash"] != testHash || s["complete"] != 2.0 || s["incomplete"] != 1.0 || s["downloaded"] != 0.0 || s["tracker"] != u {
		t.Errorf("scrape %v", s)
	}
	if w := r.ofType("warning"); len(w) != 1 || !strings.Contains(w[0]["message"].(string), "no scrape: ") {
		t.Errorf("warnings %v", w)
	}
	if len(r.ofType("update")) != 0 {
		t.Error("-scrape announced")
	}
}

func TestRunLogLines(t *testing.T) {
	_, u := swarm(t)
	r := runCtx(t, context.Background(), "-once", "-tracker", u, testHash)
	if r.code != exitAnswered {
		t.Fatal(r.code)
	}
	for _, want := range []string{" update  " + u + " event=started seeders=2 leechers=2", " peer    " + u + " 127.0.0.2:6881 http", "summary: 1 of 1 trackers answered, 3 peers found"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	} // The torrent is named once, first, labelled.
	if first, _, _ := strings.Cut(r.stdout, "\n"); first != "info hash: "+testHash || strings.Count(r.stdout, testHash) != 1 {
		t.Errorf("plain output does not name the info hash once, on its first line:\n%s", r.stdout)
	}
}

func TestRunUDP(t *testing.T) {
	mt, _ := swarm(t)
	u := listenLoopback(t, mt.ListenUDP)
	r := runCtx(t, context.Background(), "-json", "-once", "-tracker", u, testHash)
	if r.code != exitAnswered {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	peers := r.ofType("peer")
	if len(peers) != 3 || peers[0]["transport"] != "udp" || peers[0]["tracker"] != u {
		t.Errorf("peers %v", peers)
	}
	if up := r.ofType("update"); len(up) != 2 || up[0]["event"] != "started" || up[1]["event"] != "stopped" {
		t.Errorf("updates %v", up)
	}
}

// TestRunDemo runs the demo as a user would first meet it: it must end by
// itself, quickly, with every kind of line.
func TestRunDemo(t *testing.T) {
	start := time.Now()
	r := runCtx(t, context.Background(), "-demo", "-json")
	if r.code != exitAnswered || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if d := time.Since(start); d > time.Minute { // a hang detector, generous for loaded machines
		t.Errorf("the demo took %v", d)
	}
	transports := map[any]bool{}
	for _, p := range r.ofType("peer") {
		transports[p["transport"]] = true
	}
	for _, want := range []string{"http", "udp"} {
		if !transports[want] {
			t.Errorf("no %s peer in the demo:\n%s", want, r.stdout)
		}
	}
	stopped := 0
	for _, u := range r.ofType("update") {
		if u["event"] == "stopped" {
			stopped++
		}
	}
	if stopped < 2 {
		t.Errorf("%d stopped announces, want one per answering tracker", stopped)
	}
	if errs := r.ofType("error"); len(errs) != 1 || !strings.Contains(errs[0]["error"].(string), demoFailure) {
		t.Errorf("demo errors %v", errs)
	}
	// Bad combinations are usage errors.
	if r := runCtx(t, context.Background(), "-demo", testHash); r.code != exitUsage {
		t.Errorf("-demo with a TARGET: exit %d", r.code)
	}
}
