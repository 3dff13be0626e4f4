package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCommands builds mocktracker and the announce CLI into a temporary
// directory, as `go build` from a clone does.
func buildCommands(t *testing.T) (mocktracker, announce string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the commands")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for _, c := range []struct{ out, pkg string }{{"mocktracker", "."}, {"announce", "../announce"}} {
		cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, c.out), c.pkg)
		cmd.Env = append(os.Environ(), "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", c.pkg, err, out)
		}
	}
	return filepath.Join(dir, "mocktracker"), filepath.Join(dir, "announce")
}

// TestAnnounceCLIAgainstMocktracker runs the mocktracker command with a
// seed peer, runs the announce CLI against its three URLs, checks what
// each side saw, and stops the tracker with SIGINT.
func TestAnnounceCLIAgainstMocktracker(t *testing.T) {
	mtBin, annBin := buildCommands(t)
	mt := exec.Command(mtBin, "-json", "-interval", "1m", "-min-interval", "30s", "-warning", "be nice",
		"-peer", testHash+",127.0.0.2:51413", "-peer", testHash+",127.0.0.3:6881,1000")
	stdout, err := mt.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	mt.Stderr = &stderr
	if err := mt.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			mt.Process.Kill()
			mt.Wait()
		}
	})
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"type": "not json", "line": sc.Text()}
			}
			lines <- m
		}
	}()
	next := func() map[string]any {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("mocktracker output ended; stderr: %s", stderr.String())
			}
			return m
		case <-time.After(2 * time.Minute): // a hang detector: generous for loaded machines
			t.Fatal("mocktracker is silent")
		}
		return nil
	}
	ready := next()
	if ready["type"] != "listening" {
		t.Fatalf("first line %v", ready)
	}
	urls := []string{ready["http"].(string), ready["udp"].(string), ready["ws"].(string)}

	args := []string{"-once", "-json"}
	for _, u := range urls {
		args = append(args, "-tracker", u)
	}
	out, err := exec.Command(annBin, append(args, testHash)...).Output()
	if err != nil {
		t.Fatalf("announce: %v\n%s", err, out)
	}
	var summary map[string]any
	warnings, peers := 0, map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("announce output %q: %v", l, err)
		}
		switch m["type"] {
		case "summary":
			summary = m
		case "warning":
			if m["message"] == "be nice" {
				warnings++
			}
		case "peer":
			peers[m["addr"].(string)] = true
		}
	}
	if summary == nil || summary["answered"] != 3.0 {
		t.Errorf("announce summary %v\n%s", summary, out)
	}
	if warnings < 2 || !peers["127.0.0.2:51413"] || !peers["127.0.0.3:6881"] {
		t.Errorf("warnings %d (HTTP and WebSocket send one), peers %v\n%s", warnings, peers, out)
	}

	// The tracker wrote one line per announce: started and stopped over
	// each protocol.
	seen := map[string]bool{}
	for len(seen) < 6 {
		m := next()
		if m["type"] != "announce" || m["info_hash"] != testHash {
			continue
		}
		seen[m["protocol"].(string)+" "+m["event"].(string)] = true
		if m["protocol"] == "http" && m["event"] == "started" {
			if p, _ := m["params"].(map[string]any); p == nil || p["compact"] == nil {
				t.Errorf("HTTP announce line without its params: %v", m)
			}
		}
	}

	// SIGINT stops it cleanly: exit status 0, "stopped" last.
	if err := mt.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var last map[string]any
	for m := range lines {
		last = m
	}
	err = mt.Wait()
	killed = true
	if err != nil || last["type"] != "stopped" {
		t.Errorf("after SIGINT: wait %v, last line %v, stderr %s", err, last, stderr.String())
	}
}
