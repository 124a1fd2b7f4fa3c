module.exports = require("./load")("typescript", "sdk", { esModule: false });
