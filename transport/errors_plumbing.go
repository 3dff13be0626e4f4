package transport

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// ErrClosed is the cause of every call on a closed transport, and of the
// calls in flight when it closes. It wraps net.ErrClosed.
var ErrClosed = fmt.Errorf("transport closed: %w", net.ErrClosed)

// ErrBatchTooLarge: the tracker refused a scrape because it asked about too
// many torrents at once (HTTP 414 URI Too Long). The same hashes in smaller
// batches may succeed.
var ErrBatchTooLarge = errors.New("scrape batch too large for the tracker")

// Unroutable reports whether err, from opening a socket, dialing or
// sending, says this host cannot use the address family at all: no socket
// support for it (EAFNOSUPPORT, EPROTONOSUPPORT), no address of that family
// (EADDRNOTAVAIL) or no route (ENETUNREACH). Every transport classifies its
// errors with it, so "skipped" means the same thing for all of them.
func Unroutable(err error) bool {
	return errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EPROTONOSUPPORT) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.ENETUNREACH)
}

// SkippedError says the tracker was not tried because this host has no
// route for its address family. It matches ErrSkipped and unwraps to the
// system error (Err may be nil).
type SkippedError struct{ Err error }

func (e *SkippedError) Error() string {
	if e.Err == nil {
		return ErrSkipped.Error()
	}
	return ErrSkipped.Error() + ": " + e.Err.Error()
}
func (e *SkippedError) Unwrap() error        { return e.Err }
func (e *SkippedError) Is(target error) bool { return target == ErrSkipped }

// Skipped returns err as a *SkippedError when Unroutable(err), and err
// itself otherwise.
func Skipped(err error) error {
	if err != nil && Unroutable(err) {
		return &SkippedError{Err: err}
	}
	return err
}

// Wrap returns err as a *Error for op and the already redacted URL, unless
// err is nil or already holds a *Error (a transport's error keeps its own
// operation and URL).
func Wrap(op, redactedURL string, err error) error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return err
	}
	return &Error{Op: op, URL: redactedURL, Err: err}
}
