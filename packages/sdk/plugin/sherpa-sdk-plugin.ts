import type { DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { createEcmaScriptPlugin, type GeneratedFile, type Schema } from "@bufbuild/protoplugin";

/** Services of packages starting with this prefix get a client in the facade. */
const sherpaPackagePrefix = "sherpa.";

/** Where the generated schemas live; the facade imports them by package name. */
const protoPackage = "@sherpa/proto";

/** Name of the generated file, relative to the plugin's out directory. */
export const clientsFileName = "sherpa_clients_pb.ts";

/** Creates the plugin; `protoc-gen-sherpa-sdk.ts` runs it. */
export function createSherpaSdkPlugin() {
  return createEcmaScriptPlugin({
    name: "protoc-gen-sherpa-sdk",
    version: "v0.1.0",
    generateTs,
  });
}

function generateTs(schema: Schema) {
  const services = schema.files
    .filter((file) => file.proto.package.startsWith(sherpaPackagePrefix))
    .flatMap((file) => file.services);
  const first = services[0];
  if (first === undefined) {
    return;
  }
  const f = schema.generateFile(clientsFileName);
  f.preamble(first.file);
  for (const service of services) {
    printServiceClient(f, service);
  }
  printClientsInterface(f, services);
  printClientsFactory(f, services);
}

/**
 * The facade's property for a service: TaskService -> tasks, ResourceGroupService ->
 * resourceGroups; a name already ending in "s" stays as it is (AccessService -> access).
 */
export function clientPropertyName(service: DescService): string {
  const base = service.name.replace(/Service$/, "");
  const camel = `${base.charAt(0).toLowerCase()}${base.slice(1)}`;
  return camel.endsWith("s") ? camel : `${camel}s`;
}

function printServiceClient(f: GeneratedFile, service: DescService) {
  f.print(f.jsDoc(service));
  f.print(f.export("interface", `${service.name}Client`), " {");
  for (const method of service.methods) {
    f.print(f.jsDoc(method, "  "));
    f.print(
      "  ",
      method.localName,
      "(",
      ...requestParameter(f, method),
      ", options?: ",
      callOptions(f),
      "): ",
      ...responseType(f, method),
      ";",
    );
  }
  f.print("}");
  f.print();
}

function printClientsInterface(f: GeneratedFile, services: DescService[]) {
  f.print(f.jsDoc("One typed client per Sherpa service, all sharing one transport."));
  f.print(f.export("interface", "SherpaServiceClients"), " {");
  for (const service of services) {
    f.print(f.jsDoc(`Client of ${service.typeName}.`, "  "));
    f.print("  readonly ", clientPropertyName(service), ": ", `${service.name}Client`, ";");
  }
  f.print("}");
  f.print();
}

function printClientsFactory(f: GeneratedFile, services: DescService[]) {
  // Streams a caller stops reading are cancelled; connect-es's createClient leaves them open.
  const createClient = f.import("createCancellingClient", "../create-cancelling-client.js");
  const transport = f.import("Transport", "@connectrpc/connect", true);
  f.print(
    f.jsDoc(
      "Creates one client per Sherpa service, all calling through `transport`; a stream whose caller stops reading it is cancelled.",
    ),
  );
  f.print(
    f.export("function", "createSherpaServiceClients"),
    "(transport: ",
    transport,
    "): SherpaServiceClients {",
  );
  f.print("  return {");
  for (const service of services) {
    const descriptor = f.import(service.name, protoPackage);
    f.print(
      "    ",
      clientPropertyName(service),
      ": ",
      createClient,
      "(",
      descriptor,
      ", transport),",
    );
  }
  f.print("  };");
  f.print("}");
}

function requestParameter(f: GeneratedFile, method: DescMethod) {
  const init = [
    f.import("MessageInitShape", "@bufbuild/protobuf", true),
    "<typeof ",
    schemaSymbol(f, method.input),
    ">",
  ];
  switch (method.methodKind) {
    case "unary":
    case "server_streaming":
      return ["request: ", ...init];
    case "client_streaming":
    case "bidi_streaming":
      return ["request: AsyncIterable<", ...init, ">"];
  }
}

function responseType(f: GeneratedFile, method: DescMethod) {
  const output = shapeSymbol(f, method.output);
  switch (method.methodKind) {
    case "unary":
    case "client_streaming":
      return ["Promise<", output, ">"];
    case "server_streaming":
    case "bidi_streaming":
      return ["AsyncIterable<", output, ">"];
  }
}

function callOptions(f: GeneratedFile) {
  return f.import("CallOptions", "@connectrpc/connect", true);
}

/** protoc-gen-es names a message after its path in the package: Outer.Inner -> Outer_Inner. */
function generatedName(message: DescMessage): string {
  return message.typeName.slice(message.file.proto.package.length + 1).replaceAll(".", "_");
}

function shapeSymbol(f: GeneratedFile, message: DescMessage) {
  return f.import(generatedName(message), importPathOf(message), true);
}

function schemaSymbol(f: GeneratedFile, message: DescMessage) {
  return f.import(`${generatedName(message)}Schema`, importPathOf(message), true);
}

/** Well-known types come from @bufbuild/protobuf/wkt; everything else from @sherpa/proto. */
function importPathOf(message: DescMessage): string {
  return message.file.proto.package === "google.protobuf" ? "@bufbuild/protobuf/wkt" : protoPackage;
}
