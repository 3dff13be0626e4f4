package main

import (
	"strings"
	"unicode"
)

// The live view measures text in terminal columns, not bytes or runes: an
// East Asian wide character or an emoji takes two columns, a combining mark
// none. Text from trackers is sanitized first (no control characters).

// runeColumns is the columns r takes on a terminal.
func runeColumns(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200B:
		return 0
	case r >= 0x1100 && (r <= 0x115F || // Hangul Jamo
		r >= 0x2E80 && r <= 0xA4CF && r != 0x303F || // CJK ... Yi
		r >= 0xAC00 && r <= 0xD7A3 || // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF || // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F || // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60 || // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6 ||
		r >= 0x1F300 && r <= 0x1F64F || // pictographs, emoticons
		r >= 0x1F900 && r <= 0x1F9FF ||
		r >= 0x20000 && r <= 0x3FFFD):
		return 2
	}
	return 1
}

// columns is the columns s takes on a terminal.
func columns(s string) int {
	n := 0
	for _, r := range s {
		n += runeColumns(r)
	}
	return n
}

// cut shortens s to at most n columns, marking the cut with "…".
func cut(s string, n int) string {
	if columns(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	var sb strings.Builder
	used := 0
	for _, r := range s {
		c := runeColumns(r)
		if used+c > n-1 { // room for "…"
			break
		}
		sb.WriteRune(r)
		used += c
	}
	return sb.String() + "…"
}

// padRight pads s with spaces to n columns.
func padRight(s string, n int) string {
	if c := columns(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}
