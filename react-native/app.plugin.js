// The Expo config plugin: `"plugins": ["@rejourney/react-native"]` in app.json (plugin/withRejourney.js).
module.exports = require("./plugin/withRejourney");
