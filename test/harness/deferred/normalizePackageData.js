module.exports = require("./load")("normalize-package-data", "runtime/closure", { esModule: true });
