package bencode

import (
	"bytes"
	"errors"
	"strconv"
)

// DefaultMaxDepth is Options.MaxDepth's default. Tracker replies nest three
// levels (scrape: dict > files > dict), torrents a handful more (a v2 file
// tree one per directory); 64 leaves room and keeps recursion shallow.
const DefaultMaxDepth = 64

// Options says how strictly Decode reads. The zero value is the lenient
// reading a tracker reply deserves, with DefaultMaxDepth.
type Options struct {
	// MaxDepth bounds the nesting of lists and dictionaries. Default
	// (0 or negative) DefaultMaxDepth.
	MaxDepth int

	// Strict refuses what BEP 3 forbids but trackers are forgiven:
	// integers with a leading zero or "-0", integers that do not fit 64
	// bits, string lengths with a leading zero and a dictionary key that
	// appears twice. Keys out of order are accepted either way: torrents
	// with unsorted keys exist and every client reads them (the info hash
	// covers the raw bytes anyway). Lenient (false), a key sent twice is
	// passed twice by Value.Entries and an integer beyond 64 bits is valid
	// syntax (Value.Int reports it does not fit).
	Strict bool

	// TrailingSpace tolerates ASCII whitespace after the value (some PHP
	// trackers end replies with a newline). Anything else after the value
	// is always an error.
	TrailingSpace bool
}

// SyntaxError is input that is not valid bencode.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	What   string // what is wrong there
}

func (e *SyntaxError) Error() string {
	return "invalid bencode at byte " + strconv.Itoa(e.Offset) + ": " + e.What
}

// ErrDepth is matched (errors.Is) by the *SyntaxError of input nested
// deeper than Options.MaxDepth.
var ErrDepth = errors.New("nested too deep")

// Is makes a nesting error match ErrDepth.
func (e *SyntaxError) Is(target error) bool { return target == ErrDepth && e.What == ErrDepth.Error() }

// Decode validates that b holds exactly one bencoded value and returns a
// view of it. It allocates nothing (but a small map in Strict mode for a
// dictionary whose keys are out of order), reads only b and never panics.
// Errors are *SyntaxError.
func Decode(b []byte, o Options) (Value, error) {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	d := decoder{b: b, o: o}
	end, err := d.value(0, 0)
	if err != nil {
		return Value{}, err
	}
	for i := end; i < len(b); i++ {
		if !o.TrailingSpace || !isSpace(b[i]) {
			return Value{}, &SyntaxError{Offset: i, What: "data after the end of the value"}
		}
	}
	return Value{b: b, start: 0, end: end}, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

type decoder struct {
	b []byte
	o Options
}

func (d *decoder) fail(i int, what string) error { return &SyntaxError{Offset: i, What: what} }

// value validates the value at b[i] and returns its end.
func (d *decoder) value(i, depth int) (int, error) {
	b := d.b
	if i >= len(b) {
		return i, d.fail(i, "unexpected end of input")
	}
	switch c := b[i]; {
	case c == 'i':
		_, end, err := d.integer(i)
		return end, err
	case c >= '0' && c <= '9':
		_, end, err := d.str(i)
		return end, err
	case c == 'l':
		if depth >= d.o.MaxDepth {
			return i, d.fail(i, ErrDepth.Error())
		}
		for j := i + 1; ; {
			if j >= len(b) {
				return j, d.fail(j, "unexpected end of input in a list")
			}
			if b[j] == 'e' {
				return j + 1, nil
			}
			end, err := d.value(j, depth+1)
			if err != nil {
				return end, err
			}
			j = end
		}
	case c == 'd':
		if depth >= d.o.MaxDepth {
			return i, d.fail(i, ErrDepth.Error())
		}
		return d.dict(i, depth)
	default:
		return i, d.fail(i, "unexpected byte "+strconv.QuoteRune(rune(c)))
	}
}

func (d *decoder) dict(i, depth int) (int, error) {
	b := d.b
	var prev []byte
	var seen map[string]struct{} // Strict only, built once keys come out of order
	for j := i + 1; ; {
		if j >= len(b) {
			return j, d.fail(j, "unexpected end of input in a dictionary")
		}
		if b[j] == 'e' {
			return j + 1, nil
		}
		if b[j] < '0' || b[j] > '9' {
			return j, d.fail(j, "dictionary key is not a string")
		}
		key, end, err := d.str(j)
		if err != nil {
			return end, err
		}
		if d.o.Strict {
			switch {
			case seen != nil:
				if _, dup := seen[string(key)]; dup {
					return j, d.fail(j, "duplicate dictionary key "+strconv.Quote(string(key)))
				}
				seen[string(key)] = struct{}{}
			case prev == nil || bytes.Compare(prev, key) < 0:
				// Sorted so far: order alone proves there is no duplicate.
			case bytes.Equal(prev, key):
				return j, d.fail(j, "duplicate dictionary key "+strconv.Quote(string(key)))
			default:
				// Out of order: from here on remember every key. Those
				// before were sorted, so they hold no duplicate.
				seen = make(map[string]struct{})
				for k := range (Value{b: b, start: i, end: j}).entriesUpTo(j) {
					seen[string(k)] = struct{}{}
				}
				if _, dup := seen[string(key)]; dup {
					return j, d.fail(j, "duplicate dictionary key "+strconv.Quote(string(key)))
				}
				seen[string(key)] = struct{}{}
			}
			prev = key
		}
		if end >= len(b) || b[end] == 'e' {
			return end, d.fail(end, "dictionary key "+strconv.Quote(truncate(key))+" has no value")
		}
		if end, err = d.value(end, depth+1); err != nil {
			return end, err
		}
		j = end
	}
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// integer validates "i<decimal>e" at b[i] and returns its end.
func (d *decoder) integer(i int) (n int64, end int, err error) {
	b := d.b
	j := i + 1
	neg := j < len(b) && b[j] == '-'
	if neg {
		j++
	}
	digits := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	switch {
	case j >= len(b):
		return 0, j, d.fail(j, "unexpected end of input in an integer")
	case b[j] != 'e':
		return 0, j, d.fail(j, "unexpected byte "+strconv.QuoteRune(rune(b[j]))+" in an integer")
	case j == digits:
		return 0, j, d.fail(i, "integer without digits")
	}
	if d.o.Strict {
		switch {
		case b[digits] == '0' && j-digits > 1:
			return 0, j, d.fail(i, "integer with a leading zero")
		case b[digits] == '0' && neg:
			return 0, j, d.fail(i, "negative zero")
		}
		if _, fits := parseInt(b[i+1 : j]); !fits {
			return 0, j, d.fail(i, "integer does not fit 64 bits")
		}
	}
	return 0, j + 1, nil
}

// str validates "<length>:<bytes>" at b[i] and returns the bytes (aliasing
// b) and the end.
func (d *decoder) str(i int) (s []byte, end int, err error) {
	b := d.b
	j, n := i, 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		n = n*10 + int(b[j]-'0')
		j++
		if n > len(b) { // longer than the whole input: stop before overflowing
			return nil, j, d.fail(i, "string length runs past the end of input")
		}
	}
	switch {
	case j >= len(b):
		return nil, j, d.fail(j, "unexpected end of input in a string length")
	case b[j] != ':':
		return nil, j, d.fail(j, "unexpected byte "+strconv.QuoteRune(rune(b[j]))+" in a string length")
	case d.o.Strict && b[i] == '0' && j-i > 1:
		return nil, j, d.fail(i, "string length with a leading zero")
	}
	start := j + 1
	if n > len(b)-start {
		return nil, len(b), d.fail(i, "string of "+strconv.Itoa(n)+" bytes runs past the end of input")
	}
	return b[start : start+n : start+n], start + n, nil
}

// parseInt reads the digits of a validated integer (between 'i' and 'e'),
// saturating: fits is false when the value is beyond int64, and n is then
// math.MaxInt64 or math.MinInt64.
func parseInt(s []byte) (n int64, fits bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	// Accumulate as a negative number: its range includes math.MinInt64.
	const minInt64 = -1 << 63
	var v int64
	for _, c := range s {
		dig := int64(c - '0')
		if v < (minInt64+dig)/10 {
			if neg {
				return minInt64, false
			}
			return 1<<63 - 1, false
		}
		v = v*10 - dig
	}
	if neg {
		return v, true
	}
	if v == minInt64 {
		return 1<<63 - 1, false
	}
	return -v, true
}
