// protoc-gen-sherpa-sdk: emits the SDK's client facade from the Sherpa protos, so
// that adding an RPC to a .proto and running `npm run generate` is all it takes
// to expose it, with the RPC's proto comment as its JSDoc.
import { runNodeJs } from "@bufbuild/protoplugin";
import { createSherpaSdkPlugin } from "./sherpa-sdk-plugin.js";

runNodeJs(createSherpaSdkPlugin());
