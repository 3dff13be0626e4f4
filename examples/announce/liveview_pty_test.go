//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

// openPTY opens a pseudo-terminal of cols x rows (Linux ioctls; the
// standard library has no pty).
func openPTY(t *testing.T, cols, rows int) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no /dev/ptmx:", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skip("unlockpt:", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skip("ptsname:", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skip("open pts:", err)
	}
	setSize(t, s, cols, rows)
	return m, s
}

func setSize(t *testing.T, f *os.File, cols, rows int) {
	t.Helper()
	ws := struct{ row, col, x, y uint16 }{uint16(rows), uint16(cols), 0, 0}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); e != 0 {
		t.Fatal("TIOCSWINSZ:", e)
	}
}

// TestLiveViewInTerminal runs the CLI with stdout on a real terminal (a
// pty) of 60 columns, without $COLUMNS: every line fits, each is cleared
// before it is written; then the terminal narrows to 40 columns and gets
// SIGWINCH, and the frames follow.
func TestLiveViewInTerminal(t *testing.T) {
	t.Setenv("COLUMNS", "")
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "")
	_, good := swarm(t)
	bad := newMock(t)
	bad.SetHTTPFaults(mocktracker.HTTPFaults{FailureReason: longError})
	badURL := listenLoopback(t, bad.ListenHTTP)

	master, slave := openPTY(t, 60, 30)
	defer master.Close()
	var mu sync.Mutex
	var screen strings.Builder
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return screen.String()
	}
	waitFor := func(what string, ok func(string) bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(output()); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the terminal:\n%q", what, output())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	var errb strings.Builder
	go func() { code <- run(ctx, []string{"-tracker", good, "-tracker", badURL, testHash}, slave, &errb) }()

	waitFor("frame with the failure", func(s string) bool { return strings.Contains(s, "  tracker failure: tracker failure: this") })
	setSize(t, slave, 40, 30)
	mark := len(output())
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	// A frame drawn at the new width: its header is cut at 39 columns.
	waitFor("frame at 40 columns", func(s string) bool {
		for _, l := range frameLines(s[mark:]) {
			if strings.HasPrefix(l, "info hash: ") && columns(l) == 39 {
				return true
			}
		}
		return false
	})
	cancel()
	if c := <-code; c != exitAnswered {
		t.Errorf("exit %d, stderr %s", c, errb.String())
	}
	slave.Close()
	<-readDone

	out := output()
	before, after := out[:mark], out[mark:]
	check := func(part string, width int) {
		for _, l := range frameLines(part) {
			if c := columns(l); c >= width {
				t.Errorf("a line of %d columns in a %d-column terminal: %q", c, width, l)
			}
		}
	}
	check(before, 60)
	check(after, 40)
	if strings.Count(out, "\r"+ansiClearLine) < 4 {
		t.Errorf("rows are not cleared before they are written:\n%q", out)
	}
	if !strings.Contains(out, ansiBold) || !strings.Contains(out, ansiShowCursor) {
		t.Errorf("no bold header or no cursor given back:\n%q", out)
	}
}
