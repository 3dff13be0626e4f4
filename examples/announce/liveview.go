package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
// Lines are cut to the terminal's width so that none wraps (a wrapped line
// would break the count of lines to move up over).
type liveOutput struct {
	w     io.Writer
	b     *board
	title string
	width int
	drawn int  // lines of the previous frame
	dirty bool // an event arrived since the last frame
	last  time.Time
	err   error // first write error
}

func (o *liveOutput) writeFailed() bool { return o.err != nil }

func (o *liveOutput) write(s string) {
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s)
	}
}

func newLiveOutput(w io.Writer, b *board, title string) *liveOutput {
	return &liveOutput{w: w, b: b, title: title, width: terminalWidth(), dirty: true}
}

// terminalWidth is $COLUMNS when the shell exports it, else 100: asking the
// terminal needs an ioctl per OS, not worth a dependency for an example.
func terminalWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= 40 {
		return n
	}
	return 100
}

func (o *liveOutput) event(announcer.Event) { o.dirty = true }

// tick redraws when something changed, and once a second for the countdowns.
func (o *liveOutput) tick(now time.Time) {
	if o.dirty || now.Sub(o.last) >= time.Second {
		o.draw(now)
	}
}

func (o *liveOutput) draw(now time.Time) {
	lines := renderBoard(o.b, o.title, now, o.width)
	var sb strings.Builder
	if o.drawn == 0 {
		sb.WriteString(ansiHideCursor)
	} else {
		fmt.Fprintf(&sb, "\x1b[%dA\r", o.drawn) // back to the first line of the frame
	}
	for i, l := range lines {
		sb.WriteString(ansiClearLine)
		if i == 1 {
			sb.WriteString(ansiBold + l + ansiReset)
		} else {
			sb.WriteString(l)
		}
		sb.WriteByte('\n')
	}
	sb.WriteString(ansiClearBelow)
	o.write(sb.String())
	o.drawn, o.dirty, o.last = len(lines), false, now
}

// finish draws the last frame, gives the cursor back and prints the summary.
func (o *liveOutput) finish(now time.Time) {
	o.b.ended = true
	o.draw(now)
	var sb strings.Builder
	sb.WriteString(ansiShowCursor)
	for _, l := range summaryLines(o.b, now) {
		sb.WriteString(cut(l, o.width) + "\n")
	}
	o.write(sb.String())
}

// renderBoard returns the lines of one frame, each at most width runes:
//
//	trackerkit · ubuntu.iso · 3f2a…  running 1m12s · 7 peers
//	TRACKER                        STATE      SEEDS  LEECH  PEERS  NEXT    LAST ERROR
//	udp://tracker.test:1337        ok             3      2      5  29m48s
func renderBoard(b *board, title string, now time.Time, width int) []string {
	urlWidth := len("TRACKER")
	for _, r := range b.rows {
		urlWidth = max(urlWidth, utf8.RuneCountInString(r.URL))
	}
	urlWidth = min(urlWidth, max(24, width/3)) // leave room for the error
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
		return cut(fmt.Sprintf("%-*s  %-10s %6s %6s %6s  %-7s %s", urlWidth, cut(url, urlWidth), state, seeds, leech, peers, next, errText), width)
	}
	lines = append(lines, row("TRACKER", "STATE", "SEEDS", "LEECH", "PEERS", "NEXT", "LAST ERROR"))
	for _, r := range b.rows {
		state := r.State
		if r.State == stateFailing && r.Failures > 1 {
			state = fmt.Sprintf("failing×%d", r.Failures)
		}
		lines = append(lines, row(r.URL, state, countText(r.Seeders), countText(r.Leechers),
			strconv.Itoa(len(r.Peers)), nextText(r.Next, now), sanitize(r.LastError)))
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

// cut shortens s to at most n runes, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}
