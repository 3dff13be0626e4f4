// Command benchharness measures trackerkit against the fastest client the
// machine allows, in one run, against a real tracker process on loopback.
//
// Run it from the repository root with:
//
//	go run ./internal/benchharness
//
// It starts Debian's opentracker (installing it with apt-get when it is
// missing, the harness runs as root and -install is on), bound to 127.0.0.1
// only, with a whitelist of the run's torrents (Debian builds opentracker
// in whitelist mode). Without opentracker it re-executes itself as a child
// process serving the repository's mock tracker, so that the tracker's CPU
// is never counted on the clients' side either way.
//
// The run is fair by construction:
//   - 10,000 distinct torrents (-torrents), announced "started" once each per
//     phase, 64 in flight (-inflight);
//   - every swarm is seeded first with 6 peers (-seeds), so each reply
//     carries at least 5 peers, and the harness checks that it does;
//   - trackerkit runs through its public API: one Client, one Session per
//     torrent, one consumer goroutine per Session reading every event; a
//     torrent counts when its UpdateEvent and the PeerEvent with its peers
//     have been read;
//   - the ceiling is a bare client against the same tracker in the same
//     run: over UDP one socket, one connect, then raw 98-byte BEP 15
//     announces; over HTTP a client that dials, sends a GET and reads the
//     reply to the end;
//   - phases are interleaved over several rounds (-rounds, 5 by default), the
//     order alternating from round to round, with a GC before each phase.
//
// It prints per round the announces per second of each client, then the
// ratios trackerkit/ceiling for UDP and HTTP as min/median/max over the
// rounds, the UDP throughput at larger in-flight limits (-pacing) as a
// ratio of its own at -inflight, the heap an idle (Session, tracker) pair
// holds, and the allocations per announce of the whole process during
// trackerkit's phases (event delivery and consumers included).
//
// The figures of one machine are only comparable with each other: read the
// ratios, not the absolute rates, and note whether the machine was busy.
// docs/performance.md holds the last measured ones.
package main
