package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testHash = "0123456789abcdef0123456789abcdef01234567"

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	peerFile := filepath.Join(dir, "peers")
	os.WriteFile(peerFile, []byte("# seeds\n"+testHash+",127.0.0.3:6881\n\n"+testHash+",[::1]:6882,100 # a leecher\n"), 0o644)
	for _, tt := range []struct {
		args    []string
		wantErr string
		check   func(*testing.T, *Config)
	}{
		{args: nil, check: func(t *testing.T, c *Config) {
			if c.HTTP != "127.0.0.1:0" || c.Interval != 30*time.Minute || c.JSON || len(c.Peers) != 0 {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{args: []string{"-http", "6969", "-udp", "[::1]:0", "-interval", "1m", "-min-interval", "30s", "-json"}, check: func(t *testing.T, c *Config) {
			if c.HTTP != "127.0.0.1:6969" || c.UDP != "[::1]:0" || c.Interval != time.Minute || c.MinInterval != 30*time.Second || !c.JSON {
				t.Errorf("got %+v", c)
			}
		}},
		{args: []string{"-failure", "no", "-retry-in", "never", "-warning", "w", "-status", "503", "-drop", "-drop-first", "2", "-delay", "1s", "-no-relay"}, check: func(t *testing.T, c *Config) {
			f := c.Faults
			if f.FailureReason != "no" || f.RetryIn != "never" || f.Warning != "w" || f.Status != 503 || !f.Drop || f.DropFirst != 2 || f.Delay != time.Second || !f.NoWebRTCRelay {
				t.Errorf("faults %+v", f)
			}
		}},
		{args: []string{"-peer", testHash + ",127.0.0.2:6881", "-peers", peerFile}, check: func(t *testing.T, c *Config) {
			if len(c.Peers) != 3 || c.Peers[0].Left != 0 || c.Peers[2].Left != 100 || c.Peers[2].Addr.String() != "[::1]:6882" {
				t.Errorf("peers %+v", c.Peers)
			}
		}},
		{args: []string{"-http", "0.0.0.0:6969"}, wantErr: "not loopback"},
		{args: []string{"-ws", "192.0.2.1:80"}, wantErr: "not loopback"},
		{args: []string{"-udp", "localhost:6969"}, wantErr: "want IP:PORT"},
		{args: []string{"-peer", "nothex,127.0.0.1:1"}, wantErr: "-peer"},
		{args: []string{"-peer", testHash}, wantErr: "HASH,IP:PORT"},
		{args: []string{"-peer", testHash + ",127.0.0.1:1,-5"}, wantErr: "LEFT"},
		{args: []string{"-peers", filepath.Join(dir, "missing")}, wantErr: "missing"},
		{args: []string{"-retry-in", "60"}, wantErr: "-failure"},
		{args: []string{"-status", "42"}, wantErr: "-status"},
		{args: []string{"-interval", "10ms"}, wantErr: "-interval"},
		{args: []string{"extra"}, wantErr: "flags only"},
		{args: []string{"-nope"}, wantErr: "not defined"},
	} {
		c, err := parseArgs(tt.args)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.args, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.args, err)
		default:
			tt.check(t, c)
		}
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "-interval") {
		t.Errorf("-h: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-http", "8.8.8.8:1"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "not loopback") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestRunInProcess serves until the context ends and says so.
func TestRunInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"-json"}, &out, &errb) }()
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"type":"listening"`) || !strings.Contains(lines[1], `"type":"stopped"`) {
		t.Errorf("output:\n%s", out.String())
	}
}
