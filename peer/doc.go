// Package peer defines the Peer value trackers hand out and the wire codecs for it:
// the compact IPv4 form (BEP 23, 6 bytes a peer), the compact IPv6 form (BEP 7
// "peers6", 18 bytes a peer) and the dictionary form of BEP 3.
//
// Decoders never panic on hostile input: a length that is not a multiple of the
// record size is a *LengthError (errors.Is(err, ErrMalformed)), and peers with
// port 0 are dropped because nobody can connect to them.
package peer
