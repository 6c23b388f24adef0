/**
 * The runtime layer: time ({@link Clock}, {@link MockClock}) and the actor
 * system that runs the drop worker in either mode.
 *
 * @module
 */

export * from './actor.js';
export * from './clock.js';
export { ActorSystem, type ActorSystemConfig, type ActorSystemOptions } from './system.js';
