package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestSkipped(t *testing.T) {
	dial := func(errno error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		err     error
		skipped bool
	}{
		{dial(syscall.ENETUNREACH), true},
		{dial(syscall.EADDRNOTAVAIL), true},
		{dial(syscall.EAFNOSUPPORT), true},
		{dial(syscall.EPROTONOSUPPORT), true},
		{dial(syscall.ECONNREFUSED), false},
		{errors.New("x"), false},
		{nil, false},
	}
	for _, tt := range tests {
		got := Skipped(tt.err)
		if errors.Is(got, ErrSkipped) != tt.skipped || Unroutable(tt.err) != tt.skipped {
			t.Errorf("%v: skipped %v, want %v", tt.err, errors.Is(got, ErrSkipped), tt.skipped)
		}
		if tt.err != nil && !errors.Is(got, tt.err) {
			t.Errorf("%v: cause lost", tt.err)
		}
	}
	if (&SkippedError{}).Error() != ErrSkipped.Error() {
		t.Error("SkippedError without a cause")
	}
}

func TestWrap(t *testing.T) {
	inner := &Error{Op: "announce", URL: "udp://a.test:1", Err: ErrTimeout}
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), "scrape http://t.test/REDACTED/announce: boom"},
		{"already", inner, inner.Error()},
		{"wrapped already", fmt.Errorf("ctx: %w", inner), "ctx: " + inner.Error()},
	}
	for _, tt := range tests {
		got := Wrap("scrape", "http://t.test/REDACTED/announce", tt.err)
		if (got == nil) != (tt.want == "") || got != nil && got.Error() != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	if !errors.Is(ErrClosed, net.ErrClosed) {
		t.Error("ErrClosed does not wrap net.ErrClosed")
	}
}
