// server.mjs runs the real bittorrent-tracker Server on loopback for the Go
// interop tests: HTTP and WebSocket on 127.0.0.1, UDP on 127.0.0.1 and ::1,
// each on a random port.
//
// Usage: node server.mjs [--interval MS]
//
// Its first stdout line is one JSON object with the ports:
//   {"ready":true,"pid":123,"http":40001,"ws":40001,"udp4":40002,"udp6":40003}
// then one JSON line per announce the server processed:
//   {"ev":"start"|"update"|"complete"|"stop","addr":"127.0.0.1:6881"}
// and {"ev":"warning","msg":...} for bad requests. It stays up until its stdin
// closes or it gets SIGTERM/SIGINT, then closes the server and exits 0.
// /stats.json on the HTTP port gives the swarm counts.
import { Server } from 'bittorrent-tracker'

function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}

function out (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const interval = Number(arg('--interval', '60000'))
const server = new Server({ interval })
let listening = false

server.on('error', err => {
  if (!listening) {
    out({ ready: false, error: err.message })
    process.exit(1)
  }
  out({ ev: 'error', msg: err.message })
})
server.on('warning', err => out({ ev: 'warning', msg: err.message }))
for (const ev of ['start', 'update', 'complete', 'stop']) {
  server.on(ev, addr => out({ ev, addr: String(addr) }))
}

server.listen(0, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => {
  listening = true
  const http = server.http.address().port
  out({
    ready: true,
    pid: process.pid,
    http,
    ws: http,
    udp4: server.udp4.address().port,
    udp6: server.udp6.address().port
  })
})

let stopping = false
function shutdown () {
  if (stopping) return
  stopping = true
  // close() waits for open HTTP keep-alive connections; do not wait long.
  setTimeout(() => process.exit(0), 500).unref()
  server.close(() => process.exit(0))
}
process.stdin.on('end', shutdown)
process.stdin.on('close', shutdown)
process.stdin.on('error', shutdown)
process.stdin.resume()
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
