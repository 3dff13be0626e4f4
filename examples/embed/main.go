// Command embed shows trackerkit embedded in a program: one Client, one
// Session, and the Events channel read with a type switch until Ctrl-C,
// which sends "stopped" to the trackers and ends the program.
//
//	go run ./examples/embed -hash 0123456789abcdef0123456789abcdef01234567 -tracker udp://tracker.example:6969/announce
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

func main() {
	hashHex := flag.String("hash", "", "info hash, 40 hex characters")
	tracker := flag.String("tracker", "", "announce URL (http, https, udp, ws or wss)")
	flag.Parse()
	hash, err := transport.ParseInfoHash(*hashHex)
	if err != nil || *tracker == "" {
		fmt.Fprintln(os.Stderr, "usage: embed -hash HEX -tracker URL")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := announce(ctx, hash, *tracker, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// announce keeps hash announced to tracker until ctx ends, printing what
// the tracker says. When ctx ends the Session sends "stopped" (within the
// Client's stop timeout, 5 s) and then closes its Events channel.
func announce(ctx context.Context, hash transport.InfoHash, tracker string, w io.Writer) error {
	client, err := announcer.NewClient(announcer.Config{}) // one per process
	if err != nil {
		return err
	}
	defer client.Close()
	sess, err := client.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{tracker}}}, announcer.SessionOptions{})
	if err != nil {
		return err
	}
	if err := sess.Start(ctx); err != nil { // when ctx ends, "stopped" is sent, then Events closes
		return err
	}
	for ev := range sess.Events() {
		switch e := ev.(type) {
		case announcer.PeerEvent: // the peers of one reply, or one WebRTC peer
			for _, p := range e.Peers {
				fmt.Fprintln(w, "peer", p, "from", e.Tracker)
				if p.Conn != nil {
					p.Conn.Close() // a WebRTC data channel: ours to use or close
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
