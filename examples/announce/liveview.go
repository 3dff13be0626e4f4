package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
)

// ANSI sequences of the live view: only the widely supported ones.
const (
	ansiHideCursor = "\x1b[?25l"
	ansiShowCursor = "\x1b[?25h"
	ansiClearLine  = "\x1b[2K"
	ansiClearBelow = "\x1b[J"
	ansiBold       = "\x1b[1m"
	ansiReset      = "\x1b[0m"
)

// liveOutput is the terminal view: a header and one row per tracker,
// redrawn in place by moving the cursor back up over the previous frame.
//
// The frame must never wrap, or the count of lines to move up over is
// wrong and stale text stays on screen. So every line is cut to the
// terminal's width minus one column, measured in terminal columns (wide
// characters count two), using the real size of the terminal
// (golang.org/x/term), read again on each SIGWINCH; a frame never has more
// lines than the terminal (the rows that do not fit are counted in a last
// line). Each line is cleared in full before it is written, and what is
// below the frame afterwards, so no text of a longer earlier line or frame
// survives. When the terminal narrows, terminals that reflow their
// contents (tmux, most emulators) may have wrapped the previous frame: the
// cursor then moves up over as many lines as the reflow made, at most the
// screen's height. NO_COLOR (https://no-color.org) turns the bold header
// off; cursor movement is not color and stays.
type liveOutput struct {
	w      io.Writer
	b      *board
	title  string
	size   func() (width, height int) // the terminal's size
	resize <-chan os.Signal           // SIGWINCH; nil where there is none
	stop   func()                     // stops resize notifications
	color  bool

	width, height int
	drawn         []int // columns used by each line of the previous frame
	narrowed      bool  // the width shrank since the previous frame
	dirty         bool  // an event arrived since the last frame
	last          time.Time
	err           error // first write error
}

func (o *liveOutput) writeFailed() bool { return o.err != nil }

func (o *liveOutput) write(s string) {
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s)
	}
}

// newLiveOutput returns the live view on w; its size is w's terminal's
// when w is one (else $COLUMNS x $LINES, else 100 x 24).
func newLiveOutput(w io.Writer, b *board, title string) *liveOutput {
	f, _ := w.(*os.File)
	o := &liveOutput{w: w, b: b, title: title, size: func() (int, int) { return terminalSize(f) },
		color: os.Getenv("NO_COLOR") == "", dirty: true, stop: func() {}}
	o.resize, o.stop = notifyResize()
	o.width, o.height = o.size()
	return o
}

// terminalSize is f's terminal size, or $COLUMNS and $LINES, or 100 x 24;
// never below 20 x 4, so that the frame keeps a shape.
func terminalSize(f *os.File) (width, height int) {
	width, height = 100, 24
	if w, h, ok := termGetSize(f); ok {
		width, height = w, h
	} else {
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			width = n
		}
		if n, err := strconv.Atoi(os.Getenv("LINES")); err == nil && n > 0 {
			height = n
		}
	}
	return max(width, 20), max(height, 4)
}

func (o *liveOutput) event(announcer.Event) { o.dirty = true }

// tick follows resizes, and redraws when something changed, and once a
// second for the countdowns.
func (o *liveOutput) tick(now time.Time) {
	o.followResize()
	if o.dirty || now.Sub(o.last) >= time.Second {
		o.draw(now)
	}
}

// followResize reads the size again after a SIGWINCH.
func (o *liveOutput) followResize() {
	resized := false
	for {
		select {
		case <-o.resize:
			resized = true
			continue
		default:
		}
		break
	}
	if !resized {
		return
	}
	w, h := o.size()
	if w < o.width {
		o.narrowed = true
	}
	if w != o.width || h != o.height {
		o.width, o.height, o.dirty = w, h, true
	}
}

// linesUp is how many lines the previous frame takes on screen now.
func (o *liveOutput) linesUp() int {
	n := 0
	for _, cols := range o.drawn {
		if o.narrowed && cols >= o.width {
			n += (cols + o.width - 1) / o.width // reflowed into several lines
		} else {
			n++
		}
	}
	return min(n, o.height-1)
}

func (o *liveOutput) draw(now time.Time) {
	lines := renderBoard(o.b, o.title, now, o.width-1)
	if limit := o.height - 1; len(lines) > limit { // the header and the column names stay
		hidden := len(lines) - limit + 1
		lines = append(lines[:limit-1], cut(fmt.Sprintf("… %d more %s: enlarge the terminal, or see the summary at the end", hidden, pluralWord(hidden, "tracker")), o.width-1))
	}
	var sb strings.Builder
	if o.drawn == nil {
		sb.WriteString(ansiHideCursor)
	} else if up := o.linesUp(); up > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", up) // back to the first line of the frame
	}
	drawn := make([]int, len(lines))
	for i, l := range lines {
		sb.WriteString("\r" + ansiClearLine)
		if i == 1 && o.color {
			sb.WriteString(ansiBold + l + ansiReset)
		} else {
			sb.WriteString(l)
		}
		sb.WriteByte('\n')
		drawn[i] = columns(l)
	}
	sb.WriteString(ansiClearBelow)
	o.write(sb.String())
	o.drawn, o.narrowed, o.dirty, o.last = drawn, false, false, now
}

// finish draws the last frame, gives the cursor back and prints the summary.
func (o *liveOutput) finish(now time.Time) {
	o.stop()
	o.followResize()
	o.b.ended = true
	o.draw(now)
	var sb strings.Builder
	sb.WriteString(ansiShowCursor)
	for _, l := range summaryLines(o.b, now) {
		sb.WriteString(cut(l, o.width-1) + "\n")
	}
	o.write(sb.String())
}

// renderBoard returns the lines of one frame, each at most width columns:
//
//	info hash: 3f2a… (ubuntu.iso)  running 1m12s · 7 peers
//	TRACKER                        STATE      SEEDS  LEECH  PEERS  NEXT    LAST ERROR
//	udp://tracker.test:1337        ok             3      2      5  29m48s
//
// Below 80 columns the SEEDS and LEECH columns are left out and a tracker's
// last error gets a line of its own under its row, indented, so that it
// keeps most of the width:
//
//	TRACKER              STATE      PEERS NEXT
//	udp://tracker.test:… failing×2      0 36s
//	  tracker failure: unregistered torrent
func renderBoard(b *board, title string, now time.Time, width int) []string {
	urlWidth := len("TRACKER")
	for _, r := range b.rows {
		urlWidth = max(urlWidth, columns(r.URL))
	}
	narrow := width < 80
	if narrow {
		urlWidth = min(urlWidth, max(16, width-27)) // 27: the state, peers and next columns
	} else {
		urlWidth = min(urlWidth, max(24, width/3)) // leave room for the error
	}
	doing := "running"
	switch {
	case b.ended:
		doing = "ended after"
	case b.stopping:
		doing = "stopping"
	}
	header := fmt.Sprintf("%s  %s %v · %s", title, doing, now.Sub(b.start).Round(time.Second), plural(len(b.peers), "peer"))
	if b.dropped > 0 {
		header += " · " + droppedMessage(b.dropped)
	}
	lines := []string{cut(header, width)}
	row := func(url, state, seeds, leech, peers, next, errText string) string {
		u := padRight(cut(url, urlWidth), urlWidth)
		if narrow {
			return cut(strings.TrimRight(fmt.Sprintf("%s %-10s %5s %s", u, state, peers, next), " "), width)
		}
		return cut(strings.TrimRight(fmt.Sprintf("%s  %-10s %6s %6s %6s  %-7s %s", u, state, seeds, leech, peers, next, errText), " "), width)
	}
	lines = append(lines, row("TRACKER", "STATE", "SEEDS", "LEECH", "PEERS", "NEXT", "LAST ERROR"))
	for _, r := range b.rows {
		state := r.State
		if r.State == stateFailing && r.Failures > 1 {
			state = fmt.Sprintf("failing×%d", r.Failures)
		}
		errText := sanitize(r.LastError)
		lines = append(lines, row(r.URL, state, countText(r.Seeders), countText(r.Leechers),
			strconv.Itoa(len(r.Peers)), nextText(r.Next, now), errText))
		if narrow && errText != "" {
			lines = append(lines, cut("  "+errText, width))
		}
	}
	return lines
}

// nextText is the time until t: "-" when there is none, "now" when due.
func nextText(t, now time.Time) string {
	switch d := t.Sub(now).Round(time.Second); {
	case t.IsZero():
		return "-"
	case d <= 0:
		return "now"
	default:
		return d.String()
	}
}

func pluralWord(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
