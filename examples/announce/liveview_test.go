package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// longError is a tracker error longer than any terminal line.
var longError = "tracker failure: " + strings.Repeat("this torrent is not registered here, ", 4) + "END"

func liveBoard() *board {
	b := newBoard(t0, []string{"udp://tracker.example.test:1337/announce", "https://private.test/REDACTED/announce?passkey=REDACTED", "ws://127.0.0.1:8001"})
	b.apply(announcer.ErrorEvent{Time: t0, Tracker: "https://private.test/REDACTED/announce?passkey=REDACTED", Failures: 3, NextTry: t0.Add(time.Minute),
		Err: &transport.Error{Op: "announce", Err: &transport.FailureError{Reason: longError}}}, func(s string) string { return s })
	b.apply(announcer.ErrorEvent{Time: t0, Tracker: "ws://127.0.0.1:8001", Failures: 1, NextTry: t0.Add(time.Minute),
		Err: &transport.Error{Op: "announce", Err: &transport.FailureError{Reason: "幅の広い文字のエラー: 全角テキスト" + strings.Repeat("字", 80)}}}, func(s string) string { return s })
	return b
}

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func TestRenderBoardWidths(t *testing.T) {
	b := liveBoard()
	for _, width := range []int{20, 39, 59, 79, 99, 159, 300} {
		lines := renderBoard(b, "info hash: 50b2dfb972ba534c0bc4cceedf78309cbdc1bd58 (demo)", t0.Add(time.Second), width)
		for _, l := range lines {
			if c := columns(l); c > width {
				t.Errorf("width %d: line of %d columns: %q", width, c, l)
			}
		}
		// Wide enough, the whole error shows: nothing cuts it at 100.
		if width == 300 && !strings.Contains(strings.Join(lines, "\n"), "END") {
			t.Errorf("at %d columns the error is cut:\n%s", width, strings.Join(lines, "\n"))
		}
		if width == 159 && columns(lines[3]) != 159 {
			t.Errorf("at 160 columns the error row does not use the width: %d columns: %q", columns(lines[3]), lines[3])
		}
	}
}

func TestColumnsAndCut(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"abcdef", 10, "abcdef"},
		{"abcdef", 4, "abc…"},
		{"字字字字", 5, "字字…"},
		{"e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301e\u0301"}, // combining marks take no column
		{"abc", 1, ""},
	} {
		if got := cut(tt.s, tt.n); got != tt.want || columns(got) > tt.n {
			t.Errorf("cut(%q, %d) = %q (%d columns), want %q", tt.s, tt.n, got, columns(got), tt.want)
		}
	}
}

// frameLines splits live view output into the lines the terminal shows,
// escape sequences removed.
func frameLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = ansiSeq.ReplaceAllString(strings.ReplaceAll(l, "\r", ""), "")
		lines = append(lines, l)
	}
	return lines
}

func TestLiveViewResizeAndClear(t *testing.T) {
	var buf bytes.Buffer
	b := liveBoard()
	width, height := 120, 40
	resize := make(chan os.Signal, 1)
	o := &liveOutput{w: &buf, b: b, title: "info hash: 50b2dfb9 (demo)", size: func() (int, int) { return width, height },
		resize: resize, stop: func() {}, color: true, dirty: true}
	o.width, o.height = o.size()
	o.tick(t0)
	first := buf.String()
	for _, l := range frameLines(first) {
		if c := columns(l); c > 119 {
			t.Errorf("a line of %d columns at width 120: %q", c, l)
		}
	}
	if !strings.Contains(first, ansiBold) {
		t.Error("no bold header with colors on")
	}

	// The terminal narrows to 60 columns: the next frame is cut to 59, and
	// moves up over the old frame as the terminal reflowed it.
	width = 60
	resize <- syscall.SIGWINCH
	buf.Reset()
	o.tick(t0.Add(100 * time.Millisecond))
	second := buf.String()
	up := 0
	for _, l := range o.drawnBefore(first) {
		up += (l + 59) / 60
	}
	if want := "\x1b[" + strconv.Itoa(min(up, height-1)) + "A"; !strings.HasPrefix(second, want) {
		t.Errorf("after narrowing, frame starts %q, want %q (the reflowed old frame)", second[:min(len(second), 12)], want)
	}
	for i, l := range strings.Split(strings.TrimSuffix(second, "\n"+ansiClearBelow), "\n") {
		if !strings.Contains(l, "\r"+ansiClearLine) {
			t.Errorf("line %d is not cleared before it is written: %q", i, l)
		}
	}
	if !strings.HasSuffix(second, ansiClearBelow) {
		t.Error("the frame does not clear what is below it")
	}
	for _, l := range frameLines(second) {
		if c := columns(l); c > 59 {
			t.Errorf("a line of %d columns at width 60: %q", c, l)
		}
	}

	// A terminal too short for every row keeps the frame within it.
	height = 4
	resize <- syscall.SIGWINCH
	buf.Reset()
	o.tick(t0.Add(200 * time.Millisecond))
	if n := strings.Count(buf.String(), "\n"); n > 3 {
		t.Errorf("%d lines in a 4-line terminal:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "more trackers") {
		t.Errorf("hidden rows not counted:\n%s", buf.String())
	}
}

// drawnBefore returns the columns of each line of a frame as written.
func (o *liveOutput) drawnBefore(frame string) []int {
	var cols []int
	for _, l := range frameLines(strings.TrimSuffix(frame, ansiClearBelow)) {
		if l != "" {
			cols = append(cols, columns(l))
		}
	}
	return cols
}

func TestLiveViewNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	var buf bytes.Buffer
	o := newLiveOutput(&buf, liveBoard(), "title")
	defer o.stop()
	o.tick(t0)
	o.finish(t0.Add(time.Second))
	if strings.Contains(buf.String(), ansiBold) || strings.Contains(buf.String(), ansiReset) {
		t.Errorf("NO_COLOR set, but the view has colors: %q", buf.String())
	}
	if !strings.Contains(buf.String(), ansiShowCursor) {
		t.Error("cursor not given back")
	}
}
