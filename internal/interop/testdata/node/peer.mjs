// peer.mjs is one bittorrent-tracker Client (the JS peer) for the Go interop
// tests. Run one per process: it is a real WebRTC peer on ws:// trackers
// (rtcConfig with no ICE servers, ICE bound to 127.0.0.1).
//
// Usage: node peer.mjs --announce URL --info-hash HEX40
//          [--peer-id HEX40] [--port N] [--left N] [--numwant N] [--send TEXT]
//
// It announces "started" at once. Every stdout line is one JSON object, with
// "ms" (milliseconds since the process started) added:
//   {"ev":"ready","peerId":HEX}
//   {"ev":"update","complete":N,"incomplete":N}        an announce reply
//   {"ev":"scrape","complete":N,"incomplete":N,"downloaded":N}
//   {"ev":"peer","addr":"127.0.0.1:6881"}              an HTTP/UDP peer
//   {"ev":"peer","id":HEX,"initiator":BOOL}            a WebRTC peer (signalling)
//   {"ev":"signal","id":HEX,"type":"answer","candidates":["127.0.0.1"]}
//                                                      our answer, sent
//   {"ev":"connect","id":HEX,"initiator":BOOL}         its data channel is open
//   {"ev":"data","id":HEX,"len":N,"total":N,"sum":N,"data":TEXT}
//                      one message received: its length, the bytes and the
//                      sum of their values (mod 2^32) so far from this peer,
//                      and its text when it has at most 256 bytes
//   {"ev":"close","id":HEX} / {"ev":"peererror","id":HEX,"msg":TEXT}
//   {"ev":"warning","msg":TEXT} / {"ev":"error","msg":TEXT}
// initiator is true when this JS peer made the offer.
// On every open data channel it writes TEXT (--send) once.
//
// Commands, one per stdin line: "update", "complete" (left becomes 0, then a
// completed announce), "stop", "scrape", "send TEXT" (to every open channel),
// "sendbytes N" (N bytes, byte i being i % 251, in one write, to every open
// channel).
// It exits when stdin closes, or on SIGTERM/SIGINT.
import { Client } from 'bittorrent-tracker'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'

function arg (name, def) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}

function out (obj) {
  obj.ms = Math.round(performance.now()) // since the process started
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const announce = arg('--announce')
const infoHash = arg('--info-hash')
if (!announce || !infoHash) {
  out({ ev: 'error', msg: 'usage: --announce URL --info-hash HEX40' })
  process.exit(2)
}
const peerId = arg('--peer-id', Buffer.concat([Buffer.from('-JS0000-'), randomBytes(12)]).toString('hex'))
const state = { left: Number(arg('--left', '1000')) }
const numwant = Number(arg('--numwant', '50'))
const sendText = arg('--send')

const client = new Client({
  infoHash,
  peerId,
  announce: [announce],
  port: Number(arg('--port', '6881')),
  // No ICE servers. node-datachannel (libjuice) leaves loopback out of its
  // host candidates and offers the machine's other addresses instead;
  // bindAddress (passed through by webrtc-polyfill) binds ICE to 127.0.0.1 so
  // that the only candidate, and all WebRTC traffic, is on loopback.
  rtcConfig: { iceServers: [], bindAddress: '127.0.0.1' },
  getAnnounceOpts: () => ({ left: state.left, numwant })
})

const open = new Set()

// pattern returns n bytes, byte i being i % 251: the Go side checks them.
function pattern (n) {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

client.on('error', err => out({ ev: 'error', msg: err.message }))
client.on('warning', err => out({ ev: 'warning', msg: err.message }))
client.on('update', d => out({ ev: 'update', complete: d.complete, incomplete: d.incomplete }))
client.on('scrape', d => out({ ev: 'scrape', complete: d.complete, incomplete: d.incomplete, downloaded: d.downloaded }))
client.on('peer', p => {
  if (typeof p === 'string') {
    out({ ev: 'peer', addr: p })
    return
  }
  const id = p.id
  const initiator = !!p.initiator
  out({ ev: 'peer', id, initiator })
  // Our answer to a relayed offer (our own offers went out before the peer
  // was known): its ICE candidates' addresses, to check they are loopback.
  p.on('signal', s => {
    const candidates = (s.sdp || '').split(/\r?\n/)
      .filter(l => l.startsWith('a=candidate:'))
      .map(l => l.split(' ')[4])
    out({ ev: 'signal', id, type: s.type, candidates })
  })
  p.on('connect', () => {
    open.add(p)
    out({ ev: 'connect', id, initiator })
    if (sendText != null) p.write(sendText)
  })
  let total = 0
  let sum = 0
  p.on('data', buf => {
    const b = Buffer.from(buf)
    total += b.length
    for (const x of b) sum = (sum + x) >>> 0
    const ev = { ev: 'data', id, len: b.length, total, sum }
    if (b.length <= 256) ev.data = b.toString('utf8')
    out(ev)
  })
  p.on('close', () => {
    open.delete(p)
    out({ ev: 'close', id })
  })
  p.on('error', err => out({ ev: 'peererror', id, msg: err.message }))
})

client.start()
out({ ev: 'ready', peerId })

const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  const [cmd, ...rest] = line.trim().split(' ')
  switch (cmd) {
    case 'update': client.update(); break
    case 'complete': state.left = 0; client.complete(); break
    case 'stop': client.stop(); break
    case 'scrape': client.scrape(); break
    case 'send': for (const p of open) p.write(rest.join(' ')); break
    case 'sendbytes': for (const p of open) p.write(pattern(Number(rest[0]))); break
    case '': break
    default: out({ ev: 'error', msg: `unknown command ${cmd}` })
  }
})

let exiting = false
function exit () {
  if (exiting) return
  exiting = true
  for (const p of open) p.destroy()
  client.destroy()
  // Give the destroy a moment to close sockets, then leave whatever
  // node-datachannel still holds.
  setTimeout(() => process.exit(0), 100).unref()
}
rl.on('close', exit)
process.on('SIGTERM', exit)
process.on('SIGINT', exit)
