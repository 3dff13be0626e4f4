package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/trackerkit/trackerkit/peer"
)

// peerIDAlphabet is what a prefix is completed with: printable, so that
// trackers' web pages and logs show the ID cleanly, and 62^12 (about 2^71)
// completions for the usual 8-byte Azureus-style prefix ("-TK0001-").
const peerIDAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// makePeerID builds a peer ID from -peer-id: exactly 20 bytes are used as
// they are; a shorter prefix is completed with random characters from rnd.
func makePeerID(s string, rnd io.Reader) (peer.ID, error) {
	var id peer.ID
	switch {
	case s == "":
		return id, errors.New("empty (give 20 bytes or a prefix, or leave the flag out)")
	case len(s) > len(id):
		return id, fmt.Errorf("%d bytes, want at most 20", len(s))
	}
	n := copy(id[:], s)
	if n == len(id) {
		return id, nil
	}
	// Rejection sampling keeps the characters uniform.
	var buf [32]byte
	for n < len(id) {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return id, fmt.Errorf("random completion: %w", err)
		}
		for _, b := range buf {
			if n == len(id) {
				break
			}
			if int(b) < 256-256%len(peerIDAlphabet) {
				id[n] = peerIDAlphabet[int(b)%len(peerIDAlphabet)]
				n++
			}
		}
	}
	return id, nil
}
