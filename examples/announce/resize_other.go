//go:build !unix

package main

import (
	"os"

	"golang.org/x/term"
)

// notifyResize: this system has no SIGWINCH; the size is read once.
func notifyResize() (<-chan os.Signal, func()) { return nil, func() {} }

// termGetSize is f's terminal size; ok false when f is not a terminal.
func termGetSize(f *os.File) (width, height int, ok bool) {
	if f == nil {
		return 0, 0, false
	}
	w, h, err := term.GetSize(int(f.Fd()))
	return w, h, err == nil && w > 0 && h > 0
}
