import { App } from 'cdktf';
import { AnalyticsStack } from './analytics-stack';

const app = new App();
new AnalyticsStack(app, 'analytics', { region: 'eu-west-1' });
app.synth();
