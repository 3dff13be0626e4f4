package bencode

import "iter"

// Kind is the type of a bencoded value.
type Kind uint8

// The kinds of Value. Invalid is the zero Value: a key that was absent.
const (
	Invalid Kind = iota
	Int
	String
	List
	Dict
)

// Value is a view of one value inside input that Decode accepted: b[start:end]
// is its exact encoding. Its methods never fail on syntax, only on type; the
// zero Value (Kind Invalid) stands for an absent value and answers false to
// everything.
type Value struct {
	b          []byte
	start, end int
}

// Kind reports the value's type.
func (v Value) Kind() Kind {
	if v.end <= v.start {
		return Invalid
	}
	switch c := v.b[v.start]; {
	case c == 'i':
		return Int
	case c == 'l':
		return List
	case c == 'd':
		return Dict
	default:
		return String
	}
}

// Raw returns the value's exact encoding (aliasing the input): for a
// torrent's info dictionary, the bytes whose SHA-1 is the info hash.
func (v Value) Raw() []byte { return v.b[v.start:v.end:v.end] }

// Offset is where the value starts in the input.
func (v Value) Offset() int { return v.start }

// Int returns an integer value; ok is false when v is not an integer or
// does not fit an int64.
func (v Value) Int() (n int64, ok bool) {
	n, isInt, fits := v.IntSaturated()
	return n, isInt && fits
}

// IntSaturated returns an integer value clamped to the int64 range:
// fits is false when it was clamped (a tracker's "interval" of 2^64 is
// math.MaxInt64 seconds, not an error); isInt is false when v is not an
// integer.
func (v Value) IntSaturated() (n int64, isInt, fits bool) {
	if v.Kind() != Int {
		return 0, false, false
	}
	n, fits = parseInt(v.b[v.start+1 : v.end-1])
	return n, true, fits
}

// Bytes returns a string value's bytes (aliasing the input); ok is false
// when v is not a string.
func (v Value) Bytes() (s []byte, ok bool) {
	if v.Kind() != String {
		return nil, false
	}
	i := v.start
	for v.b[i] != ':' {
		i++
	}
	return v.b[i+1 : v.end : v.end], true
}

// Items iterates over a list's values (nothing when v is not a list).
func (v Value) Items() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		if v.Kind() != List {
			return
		}
		for j := v.start + 1; v.b[j] != 'e'; {
			item := Value{v.b, j, span(v.b, j)}
			if !yield(item) {
				return
			}
			j = item.end
		}
	}
}

// Len returns the number of values of a list or entries of a dictionary,
// 0 for other kinds.
func (v Value) Len() int {
	n := 0
	switch v.Kind() {
	case List:
		for range v.Items() {
			n++
		}
	case Dict:
		for range v.Entries() {
			n++
		}
	}
	return n
}

// Entries iterates over a dictionary's keys and values in input order
// (nothing when v is not a dictionary). In lenient input a key may come
// twice; callers that keep the last value behave as trackers expect.
func (v Value) Entries() iter.Seq2[[]byte, Value] { return v.entriesUpTo(v.end) }

// entriesUpTo is Entries stopping at offset limit; Decode uses it on a
// dictionary it has validated up to there.
func (v Value) entriesUpTo(limit int) iter.Seq2[[]byte, Value] {
	return func(yield func([]byte, Value) bool) {
		if v.Kind() != Dict {
			return
		}
		for j := v.start + 1; j < limit && v.b[j] != 'e'; {
			key := Value{v.b, j, span(v.b, j)}
			k, _ := key.Bytes()
			val := Value{v.b, key.end, span(v.b, key.end)}
			if !yield(k, val) {
				return
			}
			j = val.end
		}
	}
}

// Get returns the value of key in a dictionary (the last one when the key
// repeats), or the zero Value.
func (v Value) Get(key string) Value {
	var found Value
	for k, val := range v.Entries() {
		if string(k) == key {
			found = val
		}
	}
	return found
}

// span returns the end of the validated value at b[i].
func span(b []byte, i int) int {
	switch c := b[i]; {
	case c == 'i':
		for b[i] != 'e' {
			i++
		}
		return i + 1
	case c == 'l' || c == 'd':
		i++
		for b[i] != 'e' {
			i = span(b, i)
		}
		return i + 1
	default:
		n := 0
		for b[i] != ':' {
			n = n*10 + int(b[i]-'0')
			i++
		}
		return i + 1 + n
	}
}
