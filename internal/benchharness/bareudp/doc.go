// Package bareudp is the ceiling of the UDP benchmarks: a BEP 15 client
// that does nothing but the protocol against the same tracker the
// measured client talks to. It keeps no state beyond what the protocol
// needs, builds its packets before the clock starts and allocates next to
// nothing while it runs.
//
// Both UDP baselines use it: the harness's "udp bare" phase and seeding
// (internal/benchharness) and the 10,000-session benchmark's baseline
// (announcer's BenchmarkSessions10k), so the two measure the same client.
package bareudp
