package transport

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrTrackerFailure: the tracker answered with a failure reason.
	ErrTrackerFailure = errors.New("tracker failure")
	// ErrPermanent: the tracker will never serve this URL again (HTTP 410
	// Gone, BEP 31 "retry in: never"). Stop using it.
	ErrPermanent = errors.New("tracker gone for good")
	// ErrTemporary: a transient condition (HTTP 5xx); try again later.
	ErrTemporary = errors.New("temporary tracker error")
	// ErrMalformed: the reply does not follow the protocol.
	ErrMalformed = errors.New("malformed tracker reply")
	// ErrTooLarge: the reply exceeds the configured size limit.
	ErrTooLarge = errors.New("tracker reply too large")
	// ErrSkipped: this host has no route for the tracker's address family
	// (for example an IPv6-only tracker on an IPv4-only host). Nothing was
	// sent; the tracker is skipped, not failing.
	ErrSkipped = errors.New("tracker skipped: address family unreachable")
	// ErrUnsupported: the request is not possible with this tracker URL or
	// transport (for example scrape without an "announce" path segment).
	ErrUnsupported = errors.New("not supported by this tracker")
	// ErrTimeout: no reply before the transport's retry budget ran out.
	ErrTimeout = errors.New("tracker did not answer")
)

// Error is the error every transport call returns: the operation, the tracker
// URL with its secrets redacted (see Redact), and the cause.
type Error struct {
	Op  string // "announce" or "scrape"
	URL string // redacted
	Err error
}

func (e *Error) Error() string { return e.Op + " " + e.URL + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// FailureError is a tracker's own refusal: HTTP "failure reason", a UDP error
// packet (action 3) or a WebSocket "failure reason". Reason is verbatim.
type FailureError struct {
	Reason string
	// RetryIn is BEP 31's "retry in" (sent in minutes); 0 when absent.
	RetryIn time.Duration
	// RetryNever is BEP 31's "retry in: never": stop using this URL.
	RetryNever bool
}

func (e *FailureError) Error() string {
	s := "tracker failure: " + e.Reason
	switch {
	case e.RetryNever:
		s += " (retry: never)"
	case e.RetryIn > 0:
		s += fmt.Sprintf(" (retry in %v)", e.RetryIn)
	}
	return s
}

// Is matches ErrTrackerFailure, and ErrPermanent when RetryNever is set.
func (e *FailureError) Is(target error) bool {
	return target == ErrTrackerFailure || (target == ErrPermanent && e.RetryNever)
}

// StatusError is an HTTP reply whose status is not 200 OK.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Is matches ErrPermanent for 410 Gone and ErrTemporary for 5xx.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return e.Code == http.StatusGone
	case ErrTemporary:
		return e.Code >= 500
	}
	return false
}

// MalformedError is a reply that does not parse. Err, when set, is the
// underlying decoding error (for example a *peer.LengthError).
type MalformedError struct {
	What string // what was wrong, e.g. "interval missing"
	Err  error
}

func (e *MalformedError) Error() string {
	if e.Err != nil {
		return "malformed reply: " + e.What + ": " + e.Err.Error()
	}
	return "malformed reply: " + e.What
}
func (e *MalformedError) Unwrap() error        { return e.Err }
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// TooLargeError is a reply that exceeded Limit bytes; reading stopped there.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("reply larger than the %d-byte limit", e.Limit)
}
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// IsPermanent reports whether err means the URL should not be used again.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
