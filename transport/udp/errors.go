package udp

import (
	"errors"
	"fmt"

	"github.com/trackerkit/trackerkit/transport"
)

// ErrInvalidURL is wrapped by the error for a tracker URL this transport
// cannot use: not udp://, no host, or no valid port.
var ErrInvalidURL = errors.New("udp: invalid tracker URL")

var (
	// errClosed ends the requests of a closed Transport.
	errClosed = transport.ErrClosed
	// errAbandoned ends a connect nobody waits for any more.
	errAbandoned = errors.New("udp: connect abandoned")
)

// timeoutError is the error after the last wait of the BEP 15 schedule; n
// is the last retransmission count, so n+1 sends were made.
func timeoutError(n int) error {
	return fmt.Errorf("%w: no reply after %d sends", transport.ErrTimeout, n+1)
}

// sendError classifies an error from sending a datagram: one that says this
// host has no route for the family is a *transport.SkippedError.
func sendError(err error) error { return transport.Skipped(err) }
