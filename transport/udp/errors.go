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
