/**
 * What every registration (tool, prompt, resource, resource template) shares: a name, an enabled flag, and enable /
 * disable / remove, which go through the subclass's update() and the owning registry (so each sends list_changed).
 */

/** The registry that owns a registration. */
export interface RegistrationOwner {
  delete(entry: Registration<object, RegistrationOwner>): void;
}

export abstract class Registration<U extends { enabled?: boolean }, O extends RegistrationOwner> {
  #name: string;
  #enabled = true;
  protected readonly owner: O;

  constructor(owner: O, name: string) {
    this.owner = owner;
    this.#name = name;
  }

  get name(): string {
    return this.#name;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  enable(): void {
    this.update({ enabled: true } as U);
  }

  disable(): void {
    this.update({ enabled: false } as U);
  }

  /** Unregisters it. */
  remove(): void {
    this.owner.delete(this);
  }

  /** Applies changes (validated first: an invalid change throws and changes nothing) and announces the new list. */
  abstract update(changes: U): void;

  /** For update(), once the changes are validated. */
  protected setName(name: string): void {
    this.#name = name;
  }

  /** For update(), once the changes are validated. */
  protected setEnabled(enabled: boolean | undefined): void {
    if (enabled !== undefined) this.#enabled = enabled;
  }
}
