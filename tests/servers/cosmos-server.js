#!/usr/bin/env node
// Start @vercel/cosmosdb-server (Cosmos DB SQL API over HTTPS) on 127.0.0.1 for the tests.
//
// Usage: node tests/servers/cosmos-server.js PORT
//
// The package's own CLI answers every response with "connection: close", so each call
// pays a new TLS handshake (20-30 ms); createHttpsServer({ keepAlive: true }) keeps
// connections open and a point read takes about 1 ms. Prints one ready line on stdout
// ("cosmosdb-server ready at https://127.0.0.1:PORT") once it accepts connections.
"use strict";

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node cosmos-server.js PORT");
  process.exit(2);
}

const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.on("error", (error) => {
  console.error(`cosmosdb-server failed: ${error.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  console.log(`cosmosdb-server ready at https://127.0.0.1:${address.port}`);
});

// Nothing persists, so there is nothing to flush: stop at once on a signal.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
