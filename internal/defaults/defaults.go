package defaults

import "log/slog"

// Number is the type of a count, size or duration field.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

// Positive sets *field to def unless it is positive.
func Positive[T Number](field *T, def T) {
	if *field <= 0 {
		*field = def
	}
}

// Unset sets *field to def if it holds its type's zero value.
func Unset[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// OffBelowZero sets *field to def if it is zero, and to zero (off, none) if
// it is negative.
func OffBelowZero[T Number](field *T, def T) {
	switch {
	case *field == 0:
		*field = def
	case *field < 0:
		*field = 0
	}
}

// Discard is the Logger of a Config that gives none: it drops every record
// and says so to Enabled, so that callers skip building records. A Logger
// is safe for concurrent use and never changes: one serves every Config.
var Discard = slog.New(slog.DiscardHandler)
