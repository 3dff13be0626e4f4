// Command embed shows trackerkit embedded in a program: one Client, one
// Session, and the Events channel read with a type switch until Ctrl-C,
// which sends "stopped" to the trackers and ends the program.
//
//	go run ./examples/embed -hash 0123456789abcdef0123456789abcdef01234567 -tracker udp://tracker.example:6969/announce -size 1048576
//
// The trackers are told the real transfer totals: a torrent client keeps
// them in its download engine; here a Progress stands in for it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

func main() {
	hashHex := flag.String("hash", "", "info hash, 40 hex characters")
	tracker := flag.String("tracker", "", "announce URL (http, https, udp, ws or wss)")
	size := flag.Int64("size", -1, "torrent size in bytes; -1: not known yet (a magnet link before its metadata)")
	flag.Parse()
	hash, err := transport.ParseInfoHash(*hashHex)
	if err != nil || *tracker == "" {
		fmt.Fprintln(os.Stderr, "usage: embed -hash HEX -tracker URL")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p := NewProgress(*size) // nothing downloaded yet: everything is left
	if err := announce(ctx, hash, *tracker, p, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// Progress is the transfer totals of one torrent as a client's download
// engine keeps them: peer connections add to them as data moves.
type Progress struct {
	uploaded, downloaded, left atomic.Int64
}

// NewProgress returns the totals of a torrent of size bytes with nothing
// transferred yet; size < 0 means the size is not known yet.
func NewProgress(size int64) *Progress {
	p := &Progress{}
	p.left.Store(max(size, announcer.LeftUnknown))
	return p
}

// Stats is the announcer's view of the totals, read before each announce.
func (p *Progress) Stats() announcer.Stats {
	return announcer.Stats{Uploaded: p.uploaded.Load(), Downloaded: p.downloaded.Load(), Left: p.left.Load()}
}

// announce keeps hash announced to tracker until ctx ends, printing what
// the tracker says, and reporting the totals of p. When ctx ends the
// Session sends "stopped" (within the Client's stop timeout, 5 s) and then
// closes its Events channel.
func announce(ctx context.Context, hash transport.InfoHash, tracker string, p *Progress, w io.Writer) error {
	client, err := announcer.NewClient(announcer.Config{}) // one per process
	if err != nil {
		return err
	}
	defer client.Close()
	sess, err := client.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{tracker}}},
		announcer.SessionOptions{Stats: p.Stats}) // the real totals, read before each announce
	if err != nil {
		return err
	}
	if err := sess.Start(ctx); err != nil { // when ctx ends, "stopped" is sent, then Events closes
		return err
	}
	for ev := range sess.Events() {
		switch e := ev.(type) {
		case announcer.PeerEvent: // the peers of one reply, or one WebRTC peer
			for _, pr := range e.Peers {
				fmt.Fprintln(w, "peer", pr, "from", e.Tracker)
				if pr.Conn != nil {
					pr.Conn.Close() // a WebRTC data channel: ours to use or close
				}
			}
		case announcer.UpdateEvent:
			fmt.Fprintln(w, e.Tracker, "seeders", e.Complete, "leechers", e.Incomplete, "next in", e.Interval)
		case announcer.ErrorEvent:
			fmt.Fprintln(w, e.Tracker, "failed:", e.Err)
		}
	}
	return nil
}
