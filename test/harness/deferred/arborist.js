module.exports = require("./load")("@npmcli/arborist", "runtime/closure", { esModule: true });
