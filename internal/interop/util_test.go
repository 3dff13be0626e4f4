package interop

import "crypto/rand"

// randomFill fills b with random bytes (crypto/rand never fails).
func randomFill(b []byte) { _, _ = rand.Read(b) }
