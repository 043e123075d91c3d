// Declares the cdktf matchers (toHaveResourceWithProperties, ...) for TypeScript and registers them with jest.
import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

Testing.setupJest();
