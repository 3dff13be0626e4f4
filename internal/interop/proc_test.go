package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// maxLines bounds what one process's stdout may keep in memory.
	maxLines = 20000
	// stopGrace is how long a process may take to exit after its stdin
	// closes before its process group is killed.
	stopGrace = 3 * time.Second
)

// proc is one Node process started by a test. It runs in its own process
// group, its stdout is kept line by line, and the test's cleanup stops it by
// its PID: stdin is closed (the scripts exit on that), and after stopGrace
// the whole group gets SIGKILL.
type proc struct {
	name   string
	pid    int
	stdin  io.WriteCloser
	stdout *lineLog
	stderr *lineLog
	exited chan struct{} // closed when Wait returned
	err    error         // Wait's result, read after exited is closed
}

// startNode runs `node script args...` in nodeDir and registers its stop
// with t.Cleanup.
func startNode(t *testing.T, name, script string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, nodeBin, append([]string{script}, args...)...)
	cmd.Dir = nodeDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = stopGrace
	p := &proc{name: name, stdout: newLineLog(), stderr: newLineLog(), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: start node %s: %v", name, script, err)
	}
	p.pid, p.stdin = cmd.Process.Pid, stdin
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		defer cancel()
		p.stop()
		if t.Failed() {
			t.Logf("%s (pid %d) stdout:\n%s", p.name, p.pid, p.stdout.String())
			t.Logf("%s (pid %d) stderr:\n%s", p.name, p.pid, p.stderr.String())
		}
	})
	return p
}

// stop closes stdin, waits stopGrace for the process to leave, then kills its
// process group; it returns once the process has been reaped.
func (p *proc) stop() {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		killGroup(p.pid)
		<-p.exited
	}
}

// send writes one command line to the process's stdin.
func (p *proc) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("%s: write %q: %v", p.name, line, err)
	}
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// lineLog is an io.Writer that keeps what is written as lines (the last,
// unterminated one is held back) and wakes waiters on each new line.
type lineLog struct {
	mu      sync.Mutex
	lines   []string
	partial []byte
	dropped int
	changed chan struct{} // closed and replaced on each new line
	closed  bool
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		if len(l.lines) < maxLines {
			l.lines = append(l.lines, string(l.partial[:i]))
		} else {
			l.dropped++
		}
		l.partial = l.partial[i+1:]
		added = true
	}
	if len(l.partial) > 1<<20 { // a runaway line: keep memory bounded
		l.partial = l.partial[:0]
		l.dropped++
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(b), nil
}

// snapshot returns the lines from index from on, and a channel closed when
// more arrive.
func (l *lineLog) snapshot(from int) ([]string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from > len(l.lines) {
		from = len(l.lines)
	}
	return l.lines[from:len(l.lines):len(l.lines)], l.changed
}

// String returns every line kept, for failure reports.
func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	if len(l.partial) > 0 {
		s += "\n" + string(l.partial)
	}
	if l.dropped > 0 {
		s += fmt.Sprintf("\n(%d lines dropped)", l.dropped)
	}
	return s
}

// waitLine returns the first line at index >= from that match accepts, and
// the index after it. It gives up when ctx ends or the process exits.
func (p *proc) waitLine(ctx context.Context, from int, match func(string) bool) (string, int, error) {
	for {
		lines, changed := p.stdout.snapshot(from)
		for i, line := range lines {
			if match(line) {
				return line, from + i + 1, nil
			}
		}
		from += len(lines)
		select {
		case <-changed:
		case <-p.exited:
			// Wait has returned, so stdout is complete: one last look.
			lines, _ := p.stdout.snapshot(from)
			for i, line := range lines {
				if match(line) {
					return line, from + i + 1, nil
				}
			}
			return "", from, fmt.Errorf("%s (pid %d) exited: %v", p.name, p.pid, p.err)
		case <-ctx.Done():
			return "", from, ctx.Err()
		}
	}
}
