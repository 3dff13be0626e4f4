package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

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
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	announceURL, err := tr.ListenHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpURL, err := tr.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
