// The TypeScript side of benchmarks/bench_ts.py: the official client (@botpress/client) doing the
// same walks as the Python SDK, against the same loopback servers, reporting its own CPU time.
//
// Started as `node bench_ts.mjs <install dir> <pages url> <get url>` by bench_ts.py, which
// alternates rounds between the two languages: it writes one command a line on stdin and reads
// one answer a line on stdout, so this process is idle (and burns no CPU) while Python measures.
//
//   paging <walks>          -> "<CPU seconds per walk> <checksum>"
//   get <calls> <in flight> -> "<CPU seconds per call> <checksum>"
//
// The first line written is the versions installed, as JSON. The checksums let bench_ts.py check
// that both clients read the same fields of the same messages, so that neither skips work.

import { createRequire } from 'node:module'
import path from 'node:path'
import { createInterface } from 'node:readline'

const [installDir, pagesUrl, getUrl] = process.argv.slice(2)
// Resolve from the install directory (kept out of the repository), the way a Node user's
// `require('@botpress/client')` would: the package's "main" entry.
const requireThere = createRequire(path.join(installDir, 'package.json'))
const { Client } = requireThere('@botpress/client')

const TOKEN = 'bp_pat_' + 'x'.repeat(40)
const PAGES = 10 // the walk's length travels in the conversation id, as the page server expects
const WARM_UP_CALLS = 50 // the same warm-up as the Python side's GET loop

const pagesClient = new Client({ apiUrl: pagesUrl, token: TOKEN, botId: 'bot_1' })
const getClient = new Client({ apiUrl: getUrl, token: TOKEN, botId: 'bot_1' })

// One walk of every page with listMessages, following nextToken; the same 7 fields of each
// message as the Python walk reads, summed the same way.
async function walkPages() {
  let total = 0
  let nextToken
  do {
    const page = await pagesClient.listMessages({ conversationId: `conv_${PAGES}`, nextToken })
    for (const m of page.messages) {
      const fields = [m.id, m.createdAt, m.type, m.payload, m.direction]
      total += fields.length + m.userId.length + m.conversationId.length
    }
    nextToken = page.meta.nextToken
  } while (nextToken)
  return total
}

async function getOne() {
  const { message: m } = await getClient.getMessage({ id: 'msg_1' })
  const fields = [m.id, m.createdAt, m.type, m.payload, m.direction]
  return fields.length + m.userId.length + m.conversationId.length
}

function cpuSeconds(since) {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1e6
}

async function paging(walks) {
  let check = 0
  const start = process.cpuUsage()
  for (let i = 0; i < walks; i++) {
    check = await walkPages()
  }
  return `${cpuSeconds(start) / walks} ${check}`
}

async function gets(calls, inFlight) {
  for (let i = 0; i < WARM_UP_CALLS; i++) {
    await getOne()
  }
  const perWorker = Math.floor(calls / inFlight)
  let check = 0
  const worker = async () => {
    for (let i = 0; i < perWorker; i++) {
      check = await getOne()
    }
  }
  const start = process.cpuUsage()
  await Promise.all(Array.from({ length: inFlight }, worker))
  return `${cpuSeconds(start) / (perWorker * inFlight)} ${check}`
}

function version(name) {
  try {
    return requireThere(`${name}/package.json`).version
  } catch {
    return 'unknown' // a package whose exports hide package.json; only shown, never needed
  }
}

process.stdout.write(
  JSON.stringify({ client: version('@botpress/client'), axios: version('axios'), node: process.version }) + '\n',
)
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/)
  const numbers = args.map(Number)
  let answer
  try {
    if (command === 'paging') {
      answer = await paging(numbers[0])
    } else if (command === 'get') {
      answer = await gets(numbers[0], numbers[1])
    } else {
      throw new Error(`unknown command: ${line}`)
    }
  } catch (err) {
    // One line, not the client's whole error object: bench_ts.py shows the end of stderr.
    process.stderr.write(`${command}: ${err?.name ?? 'Error'}: ${err?.message ?? err}\n`)
    process.exit(1)
  }
  process.stdout.write(answer + '\n')
}
