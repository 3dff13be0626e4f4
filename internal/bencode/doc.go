// Package bencode is trackerkit's one bencode decoder (BEP 3). It reads
// bytes from hostile trackers and untrusted .torrent files, so it is
// bounded by construction:
//
//   - nothing is allocated from a length prefix: a string's length is
//     checked against the bytes left before it is used, so "4611686018427387904:"
//     costs nothing;
//   - nesting is limited (Options.MaxDepth, default DefaultMaxDepth), so
//     deep input cannot exhaust the stack;
//   - decoding copies nothing: Decode validates the input once, then a
//     Value is a view of its exact bytes (Value.Raw), which is what an info
//     hash needs (the SHA-1 of the info dictionary as written, canonical
//     or not).
//
// Encoding is not here: the mock tracker and the tests encode with
// github.com/jackpal/bencode-go, whose Marshal sorts keys and writes []byte
// as strings. That library must not decode network input (see
// docs/design.md, "Bencode").
package bencode
