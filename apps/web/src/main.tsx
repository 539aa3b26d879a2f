import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createSession } from './session.ts';
import { browserLocalStorage } from './tab-storage.ts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <App session={createSession(browserLocalStorage())} />
  </StrictMode>,
);
