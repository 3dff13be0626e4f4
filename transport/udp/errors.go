package udp

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/trackerkit/trackerkit/transport"
)

// ErrInvalidURL is wrapped by the error for a tracker URL this transport
// cannot use: not udp://, no host, or no valid port.
var ErrInvalidURL = errors.New("udp: invalid tracker URL")

var (
	// errClosed ends the requests of a closed Transport.
	errClosed = fmt.Errorf("udp: transport closed: %w", net.ErrClosed)
	// errAbandoned ends a connect nobody waits for any more.
	errAbandoned = errors.New("udp: connect abandoned")
)

// timeoutError is the error after the last wait of the BEP 15 schedule; n
// is the last retransmission count, so n+1 sends were made.
func timeoutError(n int) error {
	return fmt.Errorf("%w: no reply after %d sends", transport.ErrTimeout, n+1)
}

// TruncatedError is a reply that carries our transaction ID and the action
// we expect, but is shorter than that action's reply: the tracker's answer,
// not noise, so the request fails at once instead of waiting out its
// retransmits. opentracker answers an announce for a torrent it does not
// track with exactly 8 bytes (action and transaction ID). It matches
// transport.ErrMalformed.
type TruncatedError struct {
	Action string // "connect", "announce" or "scrape"
	Len    int    // bytes received
	Min    int    // bytes the reply needs at least
}

func (e *TruncatedError) Error() string {
	if e.Action == "announce" {
		return fmt.Sprintf("tracker sent a truncated reply (%d bytes), which usually means it does not track this torrent", e.Len)
	}
	return fmt.Sprintf("tracker sent a truncated %s reply (%d bytes, want at least %d)", e.Action, e.Len, e.Min)
}

// Is makes a TruncatedError match transport.ErrMalformed.
func (e *TruncatedError) Is(target error) bool { return target == transport.ErrMalformed }

// skippedError means the tracker's address family cannot be used from this
// host: it matches transport.ErrSkipped and unwraps to the system error.
type skippedError struct{ cause error }

func (e *skippedError) Error() string {
	if e.cause == nil {
		return transport.ErrSkipped.Error()
	}
	return transport.ErrSkipped.Error() + ": " + e.cause.Error()
}
func (e *skippedError) Unwrap() error        { return e.cause }
func (e *skippedError) Is(target error) bool { return target == transport.ErrSkipped }

// unroutable reports whether err from opening a socket or sending says this
// host cannot use the address family at all.
func unroutable(err error) bool {
	return errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EPROTONOSUPPORT) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.ENETUNREACH)
}

// sendError classifies an error from sending a datagram.
func sendError(err error) error {
	if unroutable(err) {
		return &skippedError{cause: err}
	}
	return err
}
