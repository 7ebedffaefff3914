// KafkaJS against the kafkaguard dev cluster, driven by clients_test.go.
// Usage: node client.js '<json>' where json is
//   {brokers, ca, username, passwordFile, topic, deniedTopic, groupId, messages}
// or {brokers, ca, username, passwordFile, loginOnly: true} to only log in.
// passwordFile is a librdkafka properties file holding sasl.password.
// Prints one JSON object: what worked and how the denied requests failed.
'use strict'

const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

async function main () {
  const cfg = JSON.parse(process.argv[2])
  const password = fs.readFileSync(cfg.passwordFile, 'utf8').match(/^sasl\.password=(.*)$/m)[1]
  const kafka = new Kafka({
    clientId: 'kafkaguard-compat-test',
    brokers: cfg.brokers,
    ssl: { ca: [fs.readFileSync(cfg.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: cfg.username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
    connectionTimeout: 10000
  })
  const out = {}

  if (cfg.loginOnly) {
    // Only log in (e.g. with a wrong password) and say how it went.
    out.login = await errorType(async () => {
      const admin = kafka.admin()
      await admin.connect()
      await admin.disconnect()
      throw new Error('no error')
    })
    process.stdout.write(JSON.stringify(out) + '\n')
    return
  }

  const admin = kafka.admin()
  await admin.connect()
  const md = await admin.fetchTopicMetadata({ topics: [cfg.topic] })
  out.metadataTopics = md.topics.map(t => t.name)
  await admin.disconnect()

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  await producer.send({ topic: cfg.topic, messages: cfg.messages.map(value => ({ value })) })
  out.produced = cfg.messages.length
  out.deniedProduce = await errorType(() => producer.send({ topic: cfg.deniedTopic, messages: [{ value: 'no' }] }))
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: cfg.groupId, retry: { retries: 2 } })
  await consumer.connect()
  await consumer.subscribe({ topic: cfg.topic, fromBeginning: true })
  out.consumed = await new Promise((resolve, reject) => {
    const got = []
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${cfg.messages.length} messages in 30s`)), 30000)
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString())
        if (got.length === cfg.messages.length) {
          clearTimeout(timer)
          resolve(got)
        }
      }
    }).catch(reject)
  })
  await consumer.disconnect()

  const denied = kafka.consumer({ groupId: cfg.groupId + '-denied', retry: { retries: 0 } })
  await denied.connect()
  out.deniedConsume = await errorType(async () => {
    await denied.subscribe({ topic: cfg.deniedTopic, fromBeginning: true })
    await denied.run({ eachMessage: async () => {} })
    // The group join happens in the background: wait for its crash event.
    await new Promise((resolve, reject) => {
      denied.on(denied.events.CRASH, e => reject(e.payload.error))
      setTimeout(resolve, 15000)
    })
  })
  await denied.disconnect().catch(() => {})

  process.stdout.write(JSON.stringify(out) + '\n')
}

// errorType runs fn, which must fail, and returns the Kafka error type (such
// as TOPIC_AUTHORIZATION_FAILED), or the error's name and message.
async function errorType (fn) {
  try {
    await fn()
  } catch (e) {
    let err = e
    while (err && !err.type && err.cause) err = err.cause
    return (err && err.type) || `${e.name}: ${e.message}`
  }
  return 'no error'
}

main().catch(e => {
  process.stderr.write(`kafkajs: ${e.name}: ${e.message}\n`)
  process.exit(1)
})
