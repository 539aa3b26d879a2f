import { Component, type ErrorInfo, type ReactNode } from 'react';
import { StatusScreen } from './StatusScreen.tsx';

interface ErrorBoundaryState {
  failed: boolean;
}

/**
 * A bug in one render must not leave a blank page: this says so and offers a reload.
 * (React can only catch render errors in a class component.)
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, ErrorBoundaryState> {
  override state: ErrorBoundaryState = { failed: false };

  static getDerivedStateFromError(): ErrorBoundaryState {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('Parley could not show this page', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <StatusScreen alert>
        <p>Something went wrong while showing this page.</p>
        <div className="actions">
          <button type="button" className="button primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </StatusScreen>
    );
  }
}
