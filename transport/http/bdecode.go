package http

import (
	"errors"
	"strconv"
)

// maxDepth bounds the nesting of lists and dictionaries. Tracker replies
// nest three levels at most (scrape: dict > files > dict); the margin is for
// extensions, and the bound keeps hostile input from exhausting the stack.
const maxDepth = 32

// SyntaxError is a reply that is not valid bencode. It is the Err of the
// *transport.MalformedError the parsers return.
type SyntaxError struct {
	Offset int    // byte offset of the problem in the reply
	Msg    string // what was expected
}

func (e *SyntaxError) Error() string {
	return "bencode: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// errOverflow reports an integer that is valid bencode but does not fit in
// an int64. Callers decide whether that matters for the field at hand.
var errOverflow = errors.New("integer out of range")

// decoder walks bencode in place: strings are sub-slices of the input, so
// decoding allocates nothing, and a length prefix is checked against the
// bytes left before it is used, so a hostile prefix (2^62) costs nothing.
type decoder struct {
	b   []byte
	pos int
}

func (d *decoder) fail(msg string) error { return &SyntaxError{Offset: d.pos, Msg: msg} }

// peek returns the next byte, or 0 at the end of the input.
func (d *decoder) peek() byte {
	if d.pos < len(d.b) {
		return d.b[d.pos]
	}
	return 0
}

// str decodes a byte string "<len>:<bytes>".
func (d *decoder) str() ([]byte, error) {
	start := d.pos
	n := 0
	for d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
		n = n*10 + int(d.b[d.pos]-'0')
		d.pos++
		if n > len(d.b) { // longer than the whole input: stop before overflowing
			d.pos = start
			return nil, d.fail("string length exceeds the reply")
		}
	}
	if d.pos == start {
		return nil, d.fail("expected a string")
	}
	if d.peek() != ':' {
		return nil, d.fail("expected ':' after string length")
	}
	d.pos++
	if n > len(d.b)-d.pos {
		d.pos = start
		return nil, d.fail("string length exceeds the reply")
	}
	s := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return s, nil
}

// integer decodes "i<digits>e". Leading zeros and "-0" are accepted (BEP 3
// forbids them, but refusing a tracker's reply over them helps nobody). A
// well-formed integer that does not fit an int64 returns errOverflow with
// the decoder positioned after it.
func (d *decoder) integer() (int64, error) {
	if d.peek() != 'i' {
		return 0, d.fail("expected an integer")
	}
	d.pos++
	neg := d.peek() == '-'
	if neg {
		d.pos++
	}
	start := d.pos
	var v uint64
	overflow := false
	for d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
		if v > (1<<63)/10 {
			overflow = true
		}
		v = v*10 + uint64(d.b[d.pos]-'0')
		d.pos++
	}
	if d.pos == start {
		return 0, d.fail("expected digits in integer")
	}
	if d.peek() != 'e' {
		return 0, d.fail("expected 'e' after integer")
	}
	d.pos++
	if overflow || v > 1<<63 || (!neg && v == 1<<63) {
		return 0, errOverflow
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// skip moves past one value of any type and returns its encoded bytes.
func (d *decoder) skip(depth int) ([]byte, error) {
	start := d.pos
	switch c := d.peek(); {
	case c == 'i':
		if _, err := d.integer(); err != nil && err != errOverflow {
			return nil, err
		}
	case c >= '0' && c <= '9':
		if _, err := d.str(); err != nil {
			return nil, err
		}
	case c == 'l' || c == 'd':
		if depth >= maxDepth {
			return nil, d.fail("nesting too deep")
		}
		d.pos++
		for d.peek() != 'e' {
			if d.pos >= len(d.b) {
				return nil, d.fail("unterminated list or dictionary")
			}
			if c == 'd' {
				if _, err := d.str(); err != nil {
					return nil, err
				}
			}
			if _, err := d.skip(depth + 1); err != nil {
				return nil, err
			}
		}
		d.pos++
	case d.pos >= len(d.b):
		return nil, d.fail("unexpected end of reply")
	default:
		return nil, d.fail("expected a value")
	}
	return d.b[start:d.pos:d.pos], nil
}

// dict calls field for each key of the dictionary at the decoder's position,
// with the encoded bytes of its value. Keys may come in any order; a key
// that repeats is passed each time.
func (d *decoder) dict(depth int, field func(key, val []byte)) error {
	if d.peek() != 'd' {
		return d.fail("expected a dictionary")
	}
	if depth >= maxDepth {
		return d.fail("nesting too deep")
	}
	d.pos++
	for d.peek() != 'e' {
		if d.pos >= len(d.b) {
			return d.fail("unterminated dictionary")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		val, err := d.skip(depth + 1)
		if err != nil {
			return err
		}
		field(key, val)
	}
	d.pos++
	return nil
}

// topDict decodes a whole reply that must be one dictionary. Trailing ASCII
// whitespace is tolerated (some PHP trackers end replies with a newline);
// anything else after the dictionary is an error.
func topDict(b []byte, field func(key, val []byte)) error {
	d := decoder{b: b}
	if err := d.dict(0, field); err != nil {
		return err
	}
	for ; d.pos < len(b); d.pos++ {
		switch b[d.pos] {
		case ' ', '\t', '\r', '\n':
		default:
			return d.fail("data after the reply dictionary")
		}
	}
	return nil
}

// The helpers below read one value that dict or skip already validated.

// asInt returns v as an integer; ok is false when v is another type or does
// not fit an int64.
func asInt(v []byte) (n int64, ok bool) {
	if len(v) == 0 || v[0] != 'i' {
		return 0, false
	}
	d := decoder{b: v}
	n, err := d.integer()
	return n, err == nil
}

// asString returns v as a byte string; ok is false when v is another type.
func asString(v []byte) (s []byte, ok bool) {
	if len(v) == 0 || v[0] < '0' || v[0] > '9' {
		return nil, false
	}
	d := decoder{b: v}
	s, err := d.str()
	return s, err == nil
}

// eachListItem calls item with the encoded bytes of each element of the
// validated list v; it returns false when v is not a list.
func eachListItem(v []byte, item func(val []byte)) bool {
	if len(v) == 0 || v[0] != 'l' {
		return false
	}
	d := decoder{b: v, pos: 1}
	for d.peek() != 'e' {
		val, err := d.skip(1)
		if err != nil { // cannot happen: v was validated
			return false
		}
		item(val)
	}
	return true
}

// eachDictField is dict for a validated value; it returns false when v is
// not a dictionary.
func eachDictField(v []byte, field func(key, val []byte)) bool {
	if len(v) == 0 || v[0] != 'd' {
		return false
	}
	d := decoder{b: v}
	return d.dict(1, field) == nil
}
