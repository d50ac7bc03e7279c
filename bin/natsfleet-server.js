#!/usr/bin/env node
"use strict";
require("../dist/broker/main.js").main(process.argv.slice(2));
