import { loadProgramConfig } from "./config/load";
import { selectStack } from "./stacks";

// Validate the whole config first: a bad stack config registers nothing.
const config = loadProgramConfig();
const outputs = selectStack(config);

export = outputs;
