package peer

import (
	"errors"
	"fmt"
)

// ErrMalformed is matched (errors.Is) by every decoding error of this package.
var ErrMalformed = errors.New("peer: malformed peer list")

// LengthError reports a compact peer string whose length is not a multiple of
// the record size (6 for IPv4, 18 for IPv6).
type LengthError struct {
	Len        int // length of the string received
	RecordSize int // 6 or 18
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("peer: compact peer list of %d bytes is not a multiple of %d", e.Len, e.RecordSize)
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *LengthError) Is(target error) bool { return target == ErrMalformed }

// DictError reports a dictionary-form peer that cannot be used.
type DictError struct {
	Field  string // "ip", "port" or "peer id"
	Reason string
}

func (e *DictError) Error() string {
	return fmt.Sprintf("peer: dictionary peer: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *DictError) Is(target error) bool { return target == ErrMalformed }
