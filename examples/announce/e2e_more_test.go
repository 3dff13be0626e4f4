package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// More of the CLI end to end (see also e2e_test.go): run() in-process
// against the mock tracker on loopback, output parsed line by line.

// swarm starts a mock tracker with an HTTP front end on 127.0.0.1 and three
// simulated peers (two seeders, one leecher) in the swarm of testHash.
func swarm(t *testing.T) (*mocktracker.Tracker, string) {
	t.Helper()
	mt := mocktracker.New(mocktracker.Config{})
	t.Cleanup(func() { mt.Close() })
	u, err := mt.ListenHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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

func TestRunTargets(t *testing.T) {
	_, u := swarm(t)
	dir := t.TempDir()
	// A torrent whose info hash is testHash (singleInfo) and whose tracker
	// is the mock.
	tor := filepath.Join(dir, "demo.torrent")
	data := "d8:announce" + itoa(len(u)) + ":" + u + "4:info" + singleInfo + "e"
	if err := os.WriteFile(tor, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{tor, "magnet:?xt=urn:btih:" + testHash + "&dn=demo&tr=" + u + "&tr=dht%3A%2F%2Fx"} {
		r := runCtx(t, context.Background(), "-json", "-once", target)
		if r.code != exitAnswered || len(r.ofType("peer")) != 3 {
			t.Errorf("%s: exit %d:\n%s%s", target, r.code, r.stdout, r.stderr)
		}
		if strings.HasPrefix(target, "magnet:") {
			w := r.ofType("warning")
			if len(w) != 1 || w[0]["tracker"] != "dht://x" || !strings.Contains(w[0]["message"].(string), `unsupported scheme "dht"`) {
				t.Errorf("warnings %v", w)
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// signalWriter is a goroutine-safe buffer that closes seen when a write
// holds want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen != nil && bytes.Contains(p, []byte(w.want)) {
		close(w.seen)
		w.seen = nil
	}
	return w.buf.Write(p)
}

func TestRunInterruptStopsGracefully(t *testing.T) {
	mt, u := swarm(t)
	h, _ := transport.ParseInfoHash(testHash)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan struct{})
	out := &signalWriter{want: `"event":"started"`, seen: seen}
	var errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-json", "-peer-id", "-CLI001-", "-tracker", u, testHash}, out, &errb)
	}()
	select {
	case <-seen: // the tracker acknowledged "started"
	case code := <-done:
		t.Fatalf("exited %d before announcing: %s", code, errb.String())
	}
	found := false
	for _, p := range mt.Peers(h) {
		found = found || strings.HasPrefix(string(p.ID[:]), "-CLI001-")
	}
	if !found {
		t.Error("-peer-id prefix not used")
	}
	cancel() // Ctrl-C
	if code := <-done; code != exitAnswered {
		t.Errorf("exit %d", code)
	}
	var last map[string]any
	for _, l := range checkJSONLines(t, out.buf.Bytes()) {
		if l["type"] == "update" {
			last = l
		}
	}
	if last == nil || last["event"] != "stopped" {
		t.Errorf("no stopped announce after the interrupt:\n%s", out.buf.String())
	}
	if len(mt.Peers(h)) != 3 {
		t.Error("the tracker still lists us")
	}
}

func TestRunDuration(t *testing.T) {
	_, u := swarm(t)
	// -duration must outlast the started announce for the output below: 2 s
	// leaves a loaded machine ample time to answer on loopback.
	start := time.Now()
	r := runCtx(t, context.Background(), "-json", "-duration", "2s", "-tracker", u, testHash)
	if r.code != exitAnswered || time.Since(start) < 2*time.Second {
		t.Fatalf("exit %d after %v", r.code, time.Since(start))
	}
	if u := r.ofType("update"); len(u) != 2 || u[1]["event"] != "stopped" {
		t.Errorf("updates:\n%s", r.stdout)
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
	u, err := mt.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
